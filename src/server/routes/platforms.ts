import type { PlatformInfo } from '../../shared/api/resources';

/** Each platform's defaults; the optimizer's spacing and daily caps start from these. */
export const PLATFORM_DEFAULTS: PlatformInfo[] = [
  { id: 'youtube', name: 'YouTube', default_min_spacing_minutes: 240, default_max_per_day: 2, default_duration_minutes: 60 },
  { id: 'tiktok', name: 'TikTok', default_min_spacing_minutes: 120, default_max_per_day: 4, default_duration_minutes: 60 },
  { id: 'instagram', name: 'Instagram', default_min_spacing_minutes: 180, default_max_per_day: 3, default_duration_minutes: 60 },
  { id: 'linkedin', name: 'LinkedIn', default_min_spacing_minutes: 240, default_max_per_day: 2, default_duration_minutes: 60 },
];
