import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { sqlLiteral } from '../../src/db/sql-literal.js';

describe('sqlLiteral', () => {
  it('gives the literal pg escapeLiteral gives, quotes and backslashes included', () => {
    const samples = ['', 'plain', "it's", "''", 'back\\slash', "mix'\\'\\", JSON.stringify({ title: 'L\'été "x" \\ y', n: [1, null] }), 'Ünïcode – ✓'];
    for (const text of samples) expect(sqlLiteral(text)).toBe(pg.escapeLiteral(text));
  });
});
