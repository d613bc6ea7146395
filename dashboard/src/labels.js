// zh-CN labels of codes the answers carry without one.
export const LEVELS = { province_demo: '省级示范', city_demo: '市级示范', county_demo: '县级示范',
  standard: '达标' }
export const STATUSES = { registered: '待核', verified: '已核', active: '在岗',
  suspended: '暂停', withdrawn: '退出', erased: '已注销', transferred_out: '已转出',
  merged: '已合并' }
export const FUNNEL = { posted: '发布', claimed: '认领', fulfilled: '实现', confirmed: '确认' }
export const PROBLEMS = {
  as_of_in_future: '所选时间在未来：请选择今天或更早的日期。',
  as_of_before_first_event: '所选时间早于首条记录：那时还没有任何数据。',
  not_found: '没有找到该县（市、区），或您无权查看。',
  forbidden: '无权访问。',
  rate_limited: '请求过于频繁，请稍后再试。',
  service_unavailable: '服务暂时不可用，请稍后再试。',
}

export function problemText(error) {
  if (!error) return ''
  return PROBLEMS[error.code] || (error.status >= 500 ? '服务出错，请稍后再试。'
    : '请求未成功，请检查后重试。')
}
