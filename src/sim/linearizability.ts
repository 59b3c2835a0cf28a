// Placeholder until src/check's checker lands.
import type { Operation } from '../check/history.js';

export function checkLinearizable(_ops: readonly Operation[]): string | null {
  return null;
}
