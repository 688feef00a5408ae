import { graphql } from './api.js';
import { formatNumber, h } from './dom.js';

/**
 * "How this score is computed": the c-rating's explanation from the API, rating by rating, under
 * the profile the reader picks (balanced, critics, audience), and how fresh each provider's
 * rating is ("IMDb · updated 3 days ago"). Its own query, so the movie page's other sections are
 * untouched by it.
 */

const PROFILES = [
  ['BALANCED', 'Balanced'],
  ['CRITICS', 'Critics'],
  ['AUDIENCE', 'Audience'],
];
const KIND_LABELS = { users: 'users', critics: 'critics', audience: 'audience' };

const CONTRIBUTION_FIELDS = `provider { key name } kind rawValue rawScale normalized calibrated votes weight priorMean priorVotes trust contribution`;

function explainedScore(id, profile) {
  return graphql(`query Explained($id: ID!, $profile: ScoreProfile) { movie(id: $id) {
    score(profile: $profile) { value confidence providerCount votes explanation { formulaVersion contributions { ${CONTRIBUTION_FIELDS} } } }
    ratings { provider { key name } kind fetchedAt sourceUpdatedAt stale } } }`, { id, profile }).then((data) => data.movie);
}

/** "3 days ago", "5 hours ago", "just now". */
export function ago(iso, now = Date.now()) {
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  const units = [['year', 365 * 86400], ['month', 30 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** The panel: a section element that fills itself in, and refills when the profile changes. */
export function scorePanel(movieId) {
  const body = h('div', { class: 'score-panel-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const switcher = h('div', { class: 'profile-switch', role: 'radiogroup', 'aria-label': 'Score profile' },
    PROFILES.map(([value, label]) => h('label', {},
      h('input', { type: 'radio', name: 'score-profile', value, checked: value === 'BALANCED', onchange: () => void show(value) }),
      ` ${label}`)));
  const panel = h('section', { id: 'score-explained', 'aria-labelledby': 'score-explained-title', class: 'score-panel' },
    h('h2', { id: 'score-explained-title' }, 'How this score is computed'), switcher, body);

  async function show(profile) {
    try {
      const movie = await explainedScore(movieId, profile);
      body.replaceChildren(...render(movie, profile));
    } catch (error) {
      body.replaceChildren(h('p', { class: 'notice error' }, `The explanation could not be loaded: ${error.message}`));
    }
  }
  void show('BALANCED');
  return panel;
}

function render(movie, profile) {
  const score = movie?.score;
  const freshness = freshnessList(movie?.ratings ?? []);
  if (!score) return [h('p', { class: 'muted' }, 'No provider rates this movie yet.'), freshness];
  const explanation = score.explanation;
  if (!explanation) return [h('p', { class: 'muted' }, 'This score has not been re-computed since explanations exist.'), freshness];
  const rows = explanation.contributions.map((c) => h('tr', { dataset: { provider: c.provider.key, kind: c.kind } },
    h('td', {}, `${c.provider.name} ${KIND_LABELS[c.kind] ?? c.kind}`),
    h('td', { class: 'num' }, `${formatNumber(c.rawValue, c.rawScale.includes('%') ? 0 : 1)} (${c.rawScale})`),
    h('td', { class: 'num' }, formatNumber(c.normalized, 1)),
    h('td', { class: 'num' }, formatNumber(c.calibrated, 1)),
    h('td', { class: 'num' }, c.votes === null ? '–' : formatNumber(c.votes)),
    h('td', { class: 'num' }, `${formatNumber(c.trust * 100)} %`),
    h('td', { class: 'num' }, `${formatNumber(c.priorMean, 1)} (m = ${formatNumber(c.priorVotes)})`),
    h('td', { class: 'num' }, `${formatNumber(c.weight * 100)} %`),
    h('td', { class: 'num contribution' }, formatNumber(c.contribution, 2))));
  const total = explanation.contributions.reduce((sum, c) => sum + c.contribution, 0);
  return [
    h('p', {},
      `Under the ${PROFILES.find(([p]) => p === profile)[1].toLowerCase()} profile the c-rating is `,
      h('strong', { dataset: { testid: 'explained-value' } }, formatNumber(score.value, 1)),
      `: the sum of each rating's contribution below. Each rating is mapped to 0–100 (normalised), put on the common scale (calibrated), `,
      `trusted by its votes against the provider's prior (trust = v / (v + m)), and weighted by the provider's reliability.`),
    h('table', { class: 'explanation' },
      h('thead', {}, h('tr', {}, ['Rating', 'Raw', 'Normalised', 'Calibrated', 'Votes', 'Trust', 'Prior C', 'Weight', 'Contribution']
        .map((title, i) => h('th', { class: i ? 'num' : null }, title)))),
      h('tbody', {}, rows),
      h('tfoot', {}, h('tr', {}, h('td', { colspan: 8 }, 'c-rating'), h('td', { class: 'num' }, formatNumber(total, 1))))),
    h('p', { class: 'muted small' }, `Formula version ${explanation.formulaVersion}; see the README, Scoring.`),
    freshness,
  ];
}

function freshnessList(ratings) {
  const byProvider = new Map();
  for (const r of ratings) {
    const seen = byProvider.get(r.provider.key);
    if (!seen || (r.fetchedAt && (!seen.fetchedAt || r.fetchedAt > seen.fetchedAt))) byProvider.set(r.provider.key, r);
  }
  if (!byProvider.size) return null;
  return h('ul', { class: 'freshness', 'aria-label': 'How fresh each provider is' },
    [...byProvider.values()].map((r) => h('li', { class: r.stale ? 'stale' : null, dataset: { provider: r.provider.key, stale: String(r.stale) } },
      `${r.provider.name} · `,
      r.fetchedAt ? `updated ${ago(r.fetchedAt)}` : 'not read yet',
      r.sourceUpdatedAt ? ` (the provider's own date: ${new Date(r.sourceUpdatedAt).toLocaleDateString('en-GB', { timeZone: 'UTC' })})` : null,
      r.stale ? h('span', { class: 'stale-badge', title: "Older than the provider's refresh interval" }, ' · stale') : null)));
}
