// The as-of instant and the rulebook the pages rank by: kept in the address (?as_of=,
// ?rulebook=) so a link shows what its sender saw; checked against the span of events.
import { computed, ref } from 'vue'
import { useRoute } from 'vue-router'
import { getJson } from './api.js'
import { cityDayOf, cityToday, date } from './format.js'

const timeline = ref(null)
let loading = null

export function loadTimeline(force = false) {
  if (!loading || force) {
    loading = getJson('/rankings/timeline').then((answer) => { timeline.value = answer })
      .catch((error) => { loading = null; throw error })
  }
  return loading
}

export function useRankingOptions() {
  const route = useRoute()
  loadTimeline().catch(() => {})
  const asOf = computed(() => route.query.as_of || '')
  const rulebookName = computed(() => route.query.rulebook
    || (timeline.value && timeline.value.default_rulebook) || '')
  const rulebook = computed(() => timeline.value && timeline.value.rulebooks
    .find((book) => book.name === rulebookName.value))
  const params = computed(() => ({ as_of: asOf.value || undefined,
    rulebook: route.query.rulebook || undefined }))
  const outOfRange = computed(() => rangeProblem(asOf.value, timeline.value))
  return { timeline, asOf, rulebookName, rulebook, params, outOfRange }
}

// The Chinese message for an as-of the rankings cannot answer, or ''.
export function rangeProblem(asOf, known) {
  if (!asOf) return ''
  const day = asOf.slice(0, 10)
  if (day > cityToday()) return '所选时间在未来：请选择今天或更早的日期。'
  if (!known) return ''
  if (!known.first_event_at) return '尚无任何记录：暂时无法按时间查看排名。'
  const instant = asOf.length === 10 ? `${asOf}T23:59:59+08:00` : withCityZone(asOf)
  if (new Date(instant) < new Date(known.first_event_at)) {
    return `所选时间早于首条记录（${date(known.first_event_at)}）：那时还没有任何数据。`
  }
  return ''
}

function withCityZone(text) {
  return /([+-]\d\d:\d\d|Z)$/.test(text) ? text : `${text}+08:00`
}

export const firstDay = () => timeline.value && timeline.value.first_event_at
  && cityDayOf(timeline.value.first_event_at)
