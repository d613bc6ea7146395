// Numbers and dates as read in zh-CN, on the city's clock (Asia/Shanghai).
const ZONE = 'Asia/Shanghai'
const numbers = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2 })
const whole = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 })
const percent = new Intl.NumberFormat('zh-CN', { style: 'percent', maximumFractionDigits: 1 })
const day = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, year: 'numeric', month: 'long',
  day: 'numeric' })
const moment = new Intl.DateTimeFormat('zh-CN', { timeZone: ZONE, year: 'numeric',
  month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  hour12: false })

const asNumber = (value) => (value === null || value === undefined || value === '' ? null
  : Number(value))

export function num(value) {
  const n = asNumber(value)
  return n === null || Number.isNaN(n) ? '—' : numbers.format(n)
}

export function count(value) {
  const n = asNumber(value)
  return n === null ? '—' : whole.format(n)
}

export function share(value) {
  const n = asNumber(value)
  return n === null ? '—' : percent.format(n)
}

export const date = (value) => (value ? day.format(new Date(value)) : '—')
export const dateTime = (value) => (value ? moment.format(new Date(value)) : '—')

export function month(text) { // "2026-09" -> "2026年9月"
  const [year, m] = text.split('-')
  return `${year}年${Number(m)}月`
}

// Today on the city's clock as YYYY-MM-DD (the as-of picker's upper bound).
export function cityToday() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric',
    month: '2-digit', day: '2-digit' }).format(new Date())
  return parts
}

export function cityDayOf(instant) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit',
    day: '2-digit' }).format(new Date(instant))
}
