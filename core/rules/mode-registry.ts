// The three modes by id: what a connection's `mode` column names.
import { basicMode } from '../../modes/basic/basic-mode.ts';
import { scriptMode } from '../../modes/script/script-mode.ts';
import { visualMode } from '../../modes/visual/visual-mode.ts';
import type { Mode, ModeId } from '../mode.ts';

export const modes: Record<ModeId, Mode> = {
  basic: basicMode,
  visual: visualMode,
  script: scriptMode,
};

export function isModeId(value: unknown): value is ModeId {
  return value === 'basic' || value === 'visual' || value === 'script';
}
