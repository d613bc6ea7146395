// Calls to the gateway (same origin). A 401 is retried once with the refresh token; a
// session that cannot be renewed goes back to the login page with a message.
import { router } from './router.js'
import { renewed, session, signOut } from './session.js'

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`)
    this.status = status
    this.code = problem.code
    this.problem = problem
  }
}

async function send(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) }
  if (session.access) headers.Authorization = `Bearer ${session.access}`
  return fetch(path, { ...options, headers, cache: 'no-store' })
}

async function renew() {
  if (!session.refresh) return false
  const answer = await fetch('/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: session.refresh }),
  })
  if (!answer.ok) return false
  renewed(await answer.json())
  return true
}

export async function request(path, options = {}) {
  let answer = await send(path, options)
  if (answer.status === 401 && (await renew())) answer = await send(path, options)
  if (answer.status === 401) {
    signOut()
    router.replace({ name: 'login', query: { expired: '1' } })
    throw new ApiError(401, { code: 'session_expired' })
  }
  if (!answer.ok && answer.status !== 304) {
    let problem = {}
    try { problem = await answer.json() } catch { /* not JSON */ }
    throw new ApiError(answer.status, problem)
  }
  return answer
}

export async function getJson(path, params = {}) {
  const answer = await request(withQuery(path, params))
  return answer.json()
}

export function withQuery(path, params) {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, value)
  }
  const text = query.toString()
  return text ? `${path}?${text}` : path
}

export async function login(username, password) {
  const answer = await fetch('/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  if (!answer.ok) {
    let problem = {}
    try { problem = await answer.json() } catch { /* not JSON */ }
    throw new ApiError(answer.status, problem)
  }
  return answer.json()
}

// One resource polled with If-None-Match: `changed` runs only when the answer changed.
export function poll(path, changed, seconds = 5) {
  let tag = null
  let stopped = false
  let timer = null
  async function once() {
    try {
      const answer = await request(path, { headers: tag ? { 'If-None-Match': tag } : {} })
      if (answer.status === 200) {
        const first = tag === null
        tag = answer.headers.get('ETag')
        changed(await answer.json(), first)
      }
    } catch (error) {
      if (error.status === 401) stopped = true
    }
    if (!stopped) timer = setTimeout(once, seconds * 1000)
  }
  once()
  return () => { stopped = true; clearTimeout(timer) }
}

// A file from an export route, saved under the name the gateway gives it.
export async function download(path, params) {
  const answer = await request(withQuery(path, params))
  const disposition = answer.headers.get('Content-Disposition') || ''
  const match = /filename\*=UTF-8''([^;]+)/.exec(disposition)
  const name = match ? decodeURIComponent(match[1]) : 'export'
  const url = URL.createObjectURL(await answer.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
