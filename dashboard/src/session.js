// The signed-in account: tokens in sessionStorage (gone with the tab), who it is from /me.
import { reactive } from 'vue'

const KEY = 'yinfa.session'

export const session = reactive(load())

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || {}
  } catch {
    return {}
  }
}

export function signIn(tokens, me) {
  Object.assign(session, { access: tokens.access_token, refresh: tokens.refresh_token, me })
  sessionStorage.setItem(KEY, JSON.stringify(session))
}

export function renewed(tokens) {
  Object.assign(session, { access: tokens.access_token, refresh: tokens.refresh_token })
  sessionStorage.setItem(KEY, JSON.stringify(session))
}

export function signOut() {
  for (const key of Object.keys(session)) delete session[key]
  sessionStorage.removeItem(KEY)
}

export const signedIn = () => Boolean(session.access && session.me)
export const countyBound = () => session.me && session.me.role === 'county_admin'
export const mayOpenCounty = (code) => !countyBound() || session.me.county_code === code
