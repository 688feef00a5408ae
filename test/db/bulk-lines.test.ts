import { CopyText } from '../../src/db/bulk-lines.js';

describe('CopyText', () => {
  it('holds exactly the lines added, one a line, across its pieces, multi-byte characters included', () => {
    const text = new CopyText();
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const line = i % 7 === 0 ? `${i}\tAmélie — 千と千尋の神隠し 🎬\t\\N` : i % 1001 === 0 ? 'x'.repeat(70_000 + i) : `${i}\tplain`;
      lines.push(line);
      text.add(line);
    }
    expect(text.rows).toBe(lines.length);
    expect(text.pieces().length).toBeGreaterThan(1);
    expect(text.toString()).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  it('is empty before any line', () => {
    const text = new CopyText();
    expect(text.rows).toBe(0);
    expect(text.pieces()).toEqual([]);
    expect(text.toString()).toBe('');
  });
});
