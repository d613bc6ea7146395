import { createRouter, createWebHashHistory } from 'vue-router'
import { countyBound, mayOpenCounty, session, signedIn } from './session.js'
import CityOverview from './views/CityOverview.vue' // the first page: no extra round trip

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginPage.vue'),
    meta: { public: true, title: '登录' } },
  { path: '/', name: 'city', component: CityOverview,
    meta: { title: '全市排名' } },
  { path: '/counties/:code', name: 'county', component: () => import('./views/CountyPage.vue'),
    meta: { title: '县（市、区）详情' } },
  { path: '/counties/:code/explain', name: 'explain',
    component: () => import('./views/ScoreExplanation.vue'), meta: { title: '得分说明' } },
  { path: '/forbidden', name: 'forbidden', component: () => import('./views/NoAccess.vue'),
    meta: { title: '无权访问' } },
  { path: '/:rest(.*)', redirect: '/' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.beforeEach((to) => {
  if (!to.meta.public && !signedIn()) return { name: 'login' }
  // a county bureau has its own county only: the city page opens it, another county's
  // address shows 无权访问 without asking the gateway for anything
  if (to.name === 'city' && countyBound()) {
    return { name: 'county', params: { code: session.me.county_code }, query: to.query }
  }
  if (to.params.code && !mayOpenCounty(to.params.code)) {
    return { name: 'forbidden', query: { county: to.params.code } }
  }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title || ''} · 银发志愿服务考评看板`
})
