// Free text in the X12 character set: names stored as given (UTF-8) are written with their
// letters kept and diacritics dropped, case as given; a name of which nothing is left is null.
import { describe, expect, it } from 'vitest';
import { x12NameOf, x12TextOf } from '../../../src/interop/x12/segments.js';

describe('x12TextOf', () => {
  it.each([
    ['José', 'Jose'],
    ['Peña', 'Pena'],
    ['JOSÉ PEÑA', 'JOSE PENA'],
    ['Müller-Lüdenscheidt', 'Muller-Ludenscheidt'],
    ['François', 'Francois'],
    ['Ångström', 'Angstrom'],
    ['Dvořák', 'Dvorak'],
    ['Nguyễn', 'Nguyen'],
    ['Straße', 'Strasse'],
    ['STRAẞE', 'STRASSE'],
    ['Ærø', 'AEro'],
    ['Øster', 'Oster'],
    ['Œuvre', 'OEuvre'],
    ['Łukasz Wałęsa', 'Lukasz Walesa'],
    ['Đorđević', 'Dordevic'],
    ['Þórunn', 'THorunn'],
    ['Ŀlosa', 'Llosa'],
    ['Yıldız', 'Yildiz'],
    ['O’Brien', "O'Brien"],
    ['Smith–Jones', 'Smith-Jones'],
    ['ｊｏｓｅ', 'jose'], // full-width forms (NFKD)
    ['Jose\u0301', 'Jose'], // already decomposed: é as e + combining acute
  ])('%s is written %s', (given, written) => {
    expect(x12TextOf(given)).toBe(written);
  });

  it('turns delimiters, control characters and unwritable scripts into single spaces', () => {
    expect(x12TextOf("O'Brien*Smith\n")).toBe("O'Brien Smith");
    expect(x12TextOf('A:B^C~D')).toBe('A B C D');
    expect(x12TextOf('Li 李 Wei')).toBe('Li Wei');
    expect(x12TextOf('  Doe \t ')).toBe('Doe');
  });

  it('leaves nothing of a name in a script without a Latin spelling', () => {
    expect(x12TextOf('李')).toBe('');
    expect(x12TextOf('Иванов')).toBe('');
  });
});

describe('x12NameOf', () => {
  it('is the written name when a letter or digit is left', () => {
    expect(x12NameOf('Peña')).toBe('Pena');
    expect(x12NameOf('李 Li')).toBe('Li');
    expect(x12NameOf('3rd')).toBe('3rd');
  });

  it.each([['李'], ['王小明'], ['-'], ["'. -"], ['***'], ['   '], ['\u0301']])(
    '%j has nothing writable: null',
    (name) => {
      expect(x12NameOf(name)).toBeNull();
    },
  );
});
