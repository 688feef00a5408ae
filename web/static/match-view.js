import { formatNumber, h } from './dom.js';

// How each provider's record joined this movie (externalIds { method confidence matchedAt reason }),
// corrections by an administrator included. Owned by matching (issue 14).

const METHODS = {
  ID: 'shared id',
  TITLE: 'title and year',
  MANUAL: 'corrected by an administrator',
};

/** The movie page's "How each provider was matched" section content, records an administrator rejected last. */
export function matchTable(externalIds, rejected = []) {
  if (!externalIds.length && !rejected.length) return h('p', { class: 'muted' }, 'No provider records.');
  return h('table', { class: 'match-table' },
    h('thead', {}, h('tr', {}, ['Provider', 'Id', 'Matched by', 'Confidence', 'Since', 'Why'].map((t, i) => h('th', { class: i === 3 ? 'num' : null }, t)))),
    h('tbody', {}, externalIds.map((e) => h('tr', { dataset: { method: e.method } },
      h('td', {}, e.provider.name),
      h('td', {}, e.externalId),
      h('td', {}, h('span', { class: `match-method match-${e.method.toLowerCase()}` }, METHODS[e.method] ?? e.method)),
      h('td', { class: 'num' }, formatNumber(e.confidence * 100) + ' %'),
      h('td', {}, e.matchedAt ? new Date(e.matchedAt).toLocaleDateString('en-GB') : '–'),
      h('td', { class: 'small muted' }, e.reason ?? ''))),
    rejected.map((r) => h('tr', { dataset: { method: 'REJECTED' } },
      h('td', {}, r.provider.name),
      h('td', {}, r.externalId),
      h('td', {}, h('span', { class: 'match-method match-rejected' }, 'rejected by an administrator')),
      h('td', { class: 'num' }, '–'),
      h('td', {}, new Date(r.rejectedAt).toLocaleDateString('en-GB')),
      h('td', { class: 'small muted' }, 'never matched to this movie again')))));
}
