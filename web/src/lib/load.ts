// useLoad runs one API read for a page and keeps its state (loading, data,
// error), reloading when the path changes; every page shows the same three
// states the same way (see components/StateBox.vue).
import { ref, watch, type Ref } from 'vue'
import { api, ApiError } from './api'

export interface Load<T> {
  data: Ref<T | undefined>
  error: Ref<ApiError | undefined>
  loading: Ref<boolean>
  reload: () => Promise<void>
}

export function useLoad<T>(path: () => string | null): Load<T> {
  const data = ref<T>() as Ref<T | undefined>
  const error = ref<ApiError>()
  const loading = ref(false)
  let seq = 0
  async function reload() {
    const p = path()
    if (p === null) return
    const mine = ++seq
    loading.value = true
    try {
      const d = await api<T>(p)
      if (mine !== seq) return
      data.value = d
      error.value = undefined
    } catch (e) {
      if (mine !== seq) return
      error.value = e instanceof ApiError ? e : new ApiError(0, 'internal', String(e), String(e))
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  watch(path, reload, { immediate: true })
  return { data, error, loading, reload }
}
