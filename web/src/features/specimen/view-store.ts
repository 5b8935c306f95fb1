/** View state of the specimen page's viewer, changed only through these commands. */
import { createStore, type Store } from '../../shared/store/store';
import { storeViewChannel, type PublishedView, type ViewChannel, type ViewRect } from '../../shared/viewer/view-channel';

export interface SpecimenViewState {
  view: PublishedView;
  showZones: boolean;
  showZoneLabels: boolean;
  /** Zone under the pointer or focused in the list. */
  highlightedZone: string | null;
}

export type SpecimenViewCommand =
  | { type: 'setView'; rect: ViewRect | null; source: string; animate: boolean }
  | { type: 'toggleZones' }
  | { type: 'toggleZoneLabels' }
  | { type: 'highlightZone'; zoneId: string | null };

export function specimenViewReducer(state: SpecimenViewState, command: SpecimenViewCommand): SpecimenViewState {
  switch (command.type) {
    case 'setView':
      return { ...state, view: { rect: command.rect, source: command.source, animate: command.animate, seq: state.view.seq + 1 } };
    case 'toggleZones':
      return { ...state, showZones: !state.showZones };
    case 'toggleZoneLabels':
      return { ...state, showZoneLabels: !state.showZoneLabels };
    case 'highlightZone':
      return state.highlightedZone === command.zoneId ? state : { ...state, highlightedZone: command.zoneId };
  }
}

export interface SpecimenViewStore extends Store<SpecimenViewState, SpecimenViewCommand> {
  channel: ViewChannel;
}

export function createSpecimenViewStore(): SpecimenViewStore {
  const store = createStore(specimenViewReducer, {
    view: { rect: null, source: 'init', animate: false, seq: 0 },
    showZones: true,
    showZoneLabels: true,
    highlightedZone: null,
  });
  const channel = storeViewChannel(store, (s) => s.view, (rect, source, animate): SpecimenViewCommand => ({ type: 'setView', rect, source, animate }));
  return { ...store, channel };
}
