/**
 * The backend picker: every backend with its availability and reason, how it runs each kernel of
 * the contract, and a button to make it the backend of every panel.
 */
import * as hc from '@hypercolumn/core';
import { describeBackends, threadsText, type BackendEntry } from '../backends.js';
import { byId, el, showError } from '../ui.js';

export function mountPicker(onChange: (name: string) => Promise<void>): { refresh: () => Promise<void> } {
  const list = byId('backend-list');
  const current = byId('backend-current');
  const errorBox = byId('backend-error');

  // data-switch on the current label: "pending" from a click until every panel has redrawn (their
  // tensors are live meanwhile), then "done".
  let switching = 0;
  const choose = async (entry: BackendEntry) => {
    switching++;
    current.dataset.switch = 'pending';
    try {
      await hc.setBackend(entry.name);
      showError(errorBox, undefined);
      await refresh();
      await onChange(entry.name);
    } catch (err) {
      showError(errorBox, err, `cannot switch to ${entry.name}`);
    } finally {
      if (--switching === 0) current.dataset.switch = 'done';
    }
  };

  const row = (entry: BackendEntry, selected: boolean) => {
    const button = el('button', { type: 'button', 'data-backend': entry.name, 'aria-pressed': String(selected) }, selected ? `using ${entry.name}` : `use ${entry.name}`);
    button.addEventListener('click', () => void choose(entry));
    const availability = entry.available ? 'available' : entry.installed ? 'unavailable' : 'not installed';
    const counts = new Map<string, string[]>();
    for (const k of entry.kernels) counts.set(k.resolution, [...(counts.get(k.resolution) ?? []), k.name]);
    const kernels = entry.kernels.length
      ? el(
          'details',
          {},
          el('summary', {}, [...counts].map(([r, names]) => `${names.length} ${r}`).join(' · ')),
          ...[...counts].map(([r, names]) => el('p', {}, el('strong', {}, `${r}: `), names.join(', '))),
        )
      : el('span', {}, '—');
    return el(
      'tr',
      { class: entry.available ? 'ok' : 'off', 'data-backend-row': entry.name },
      el('td', {}, button),
      el(
        'td',
        {},
        el('strong', {}, entry.name),
        entry.priority !== undefined ? el('small', {}, ` priority ${entry.priority}`) : '',
        entry.available ? el('small', {}, `, ${threadsText(entry.name, entry.threads)}`) : '',
      ),
      el('td', { class: 'availability' }, availability, entry.reason ? `: ${entry.reason}` : ''),
      el('td', {}, kernels),
    );
  };

  const refresh = async () => {
    const entries = await describeBackends();
    const active = hc.getBackend();
    current.textContent = active;
    list.replaceChildren(
      el('tr', {}, el('th', {}, ''), el('th', {}, 'backend'), el('th', {}, 'availability'), el('th', {}, 'kernels of the contract: native / composite / fallback')),
      ...entries.map((e) => row(e, e.name === active)),
    );
  };
  return { refresh };
}
