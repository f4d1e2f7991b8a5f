/** Settings from the main process; applies the theme to <html> and answers the display zone. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Settings, SettingsPatch } from '../../../shared/bridge';
import { bridge } from '../bridge/client';
import { systemTimeZone } from '../lib/format';

const darkQuery = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings | null>(null);
  const error = ref<string | null>(null);
  const systemDark = ref(darkQuery?.matches ?? false);
  darkQuery?.addEventListener('change', (event) => {
    systemDark.value = event.matches;
  });
  let started = false;

  function apply(next: Settings): void {
    settings.value = next;
    const root = document.documentElement;
    if (next.theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', next.theme);
  }

  async function load(): Promise<void> {
    const result = await bridge().call('settings.get', {});
    if (result.ok) apply(result.value);
    else error.value = result.error.message;
  }

  function start(): void {
    if (started) return;
    started = true;
    bridge().on('settings.changed', apply);
    void load();
  }

  async function update(patch: SettingsPatch): Promise<boolean> {
    const result = await bridge().call('settings.update', patch);
    if (result.ok) {
      apply(result.value);
      error.value = null;
      return true;
    }
    error.value = result.error.message;
    return false;
  }

  const displayTimeZone = computed(() => settings.value?.displayTimeZone ?? systemTimeZone());
  const effectiveTheme = computed<'light' | 'dark'>(() => {
    const theme = settings.value?.theme ?? 'system';
    if (theme === 'system') return systemDark.value ? 'dark' : 'light';
    return theme;
  });

  return { settings, error, displayTimeZone, effectiveTheme, start, load, update };
});
