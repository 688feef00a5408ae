import fc from 'fast-check';
import { normalizeTitle, normalizeTitleUnicode } from '../../src/matching/normalize-title.js';

/**
 * normalizeTitle takes cheaper expressions for plain ASCII titles (most of them); the form must be
 * the one the full Unicode normalisation gives, since stored forms, matching and search compare it.
 */
describe('title normalisation', () => {
  it('gives the same form on the ASCII path as the full normalisation', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    const wordy = fc
      .array(fc.constantFrom('The', 'the', 'A', 'an', 'Le', "L'", 'de', 'Matrix', '&', ',', ' ', '  ', '\t', "'", '`', '-', 'II', '2', 'x', '.'), { maxLength: 8 })
      .map((parts) => parts.join(''));
    fc.assert(fc.property(fc.oneof(ascii, wordy), (title) => expect(normalizeTitle(title)).toBe(normalizeTitleUnicode(title))), { numRuns: 5000 });
  });

  it('keeps the known forms', () => {
    expect(normalizeTitle('The Matrix')).toBe('matrix');
    expect(normalizeTitle('Matrix, The')).toBe('matrix');
    expect(normalizeTitle('Fast & Furious')).toBe('fast and furious');
    expect(normalizeTitle("Don't Look Now")).toBe('dont look now');
    expect(normalizeTitle('The')).toBe('the');
    expect(normalizeTitle('  ')).toBe('');
    expect(normalizeTitle('AmÃ©lie')).toBe('amelie');
    expect(normalizeTitle('Léon: The Professional')).toBe('leon the professional');
  });
});
