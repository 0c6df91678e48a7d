import { archiveUndoActions } from '../../strategies/archive/undo.js';
import { updaterUndoActions } from '../../strategies/updater/undo.js';
import { gitUndoActions } from '../../strategies/git/undo.js';
import type { UndoAction } from './undo-action.js';
import { coreUndoActions } from './undo-actions.js';

/** Every kind of undo step, explicitly: the journal names a kind, recovery looks it up here. */
export const undoActions: Readonly<Record<string, UndoAction>> = Object.freeze(Object.fromEntries(
  [...coreUndoActions, ...archiveUndoActions, ...updaterUndoActions, ...gitUndoActions].map((action) => [action.kind, action])));
