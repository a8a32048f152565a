import type { Component } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

// A feature is one domain's part of the UI (alarms, cases, targets,
// inspections, …) in its own folder src/features/<name>/, whose index.ts
// default-exports a Feature. main.ts finds every folder with
// import.meta.glob, so adding a feature touches no shared file.
export interface Feature {
  // The feature's name, also its i18n namespace: its texts are t('<name>.key').
  name: string
  routes?: RouteRecordRaw[]
  // Links in the top bar, shown when show() is true (e.g. a role check).
  nav?: { to: string; key: string; show: () => boolean; order?: number }[]
  // Its texts. Type the English object against the Chinese one
  // (const en: typeof zh = …) so that a missing key fails the build.
  messages: { 'zh-CN': Record<string, unknown>; en: Record<string, unknown> }
  // Panels for the command centre, below the map, in order; each is a
  // self-contained component (it loads its own data and hides itself
  // when the user may not see it).
  panels?: { component: Component; order?: number }[]
}
