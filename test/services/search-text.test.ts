import { searchWord, searchWords } from '../../src/services/search-text.js';

describe('the words of a search', () => {
  it('reads Roman numerals II-XX as digits', () => {
    expect(searchWords('Rocky II')).toEqual(['rocky', '2']);
    expect(searchWord('xx')).toBe('20');
    expect(searchWord('i')).toBe('i');
  });

  it('takes a word spelled like an Object member as the word it is', () => {
    for (const word of ['constructor', '__proto__', 'tostring', 'hasownproperty', 'valueof']) expect(searchWord(word)).toBe(word);
    expect(searchWords('The Constructor')).toEqual(['constructor']);
  });
});
