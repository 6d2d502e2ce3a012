/** The server-rendered fallback's escaping and link rules, and a guard on the page's sources. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { esc, linkOrText } from '../../src/explorer/html.js';
import { safeHref } from '../../src/explorer/href.js';
import { explainAlarm, explainBinding } from '../../src/explorer/states.js';

describe('escaping (every value printed is attacker-controlled)', () => {
  it('escapes the five HTML-special characters, for text and quoted attributes alike', () => {
    expect(esc(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(esc(42)).toBe('42');
  });

  it('only same-origin paths, in-page #ids and http(s) URLs become links', () => {
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<b>', 'vbscript:x', '//evil.example/x', '/\\evil', 'file:///etc/passwd', '']) {
      expect(safeHref(bad), bad).toBeNull();
    }
    expect(safeHref('/avatar/0x02ab')).toBe('/avatar/0x02ab');
    expect(safeHref('#evidence-1')).toBe('#evidence-1');
    expect(safeHref('https://api.twitter.com/2/tweets/1')).toBe('https://api.twitter.com/2/tweets/1');
    expect(linkOrText('javascript:alert(1)')).toBe('<span class="mono">javascript:alert(1)</span>');
    expect(linkOrText('https://x.example/"><script>')).toBe('<a href="https://x.example/%22%3E%3Cscript%3E" rel="noopener noreferrer nofollow">https://x.example/&quot;&gt;&lt;script&gt;</a>');
  });
});

describe('plain-language states', () => {
  const at = (s: number) => `T${s}`;
  it('say what a state means, naming the platform\'s kind of post', () => {
    expect(explainBinding({ status: 'invalid', platform: 'twitter', invalid_code: 'POST_NOT_FOUND', last_checked_at: '1700000000' }, at))
      .toEqual({ label: 'Invalid', tone: 'bad', meaning: 'The tweet that proved this binding was deleted or can no longer be found (noticed T1700000000).' });
    expect(explainBinding({ status: 'valid', platform: 'github', invalid_code: '', last_checked_at: 5 }, at).meaning).toMatch(/proof gist was found/);
    expect(explainBinding({ status: 'stale', platform: 'dns', invalid_code: '', last_checked_at: 0 }, at)).toMatchObject({ label: 'Stale', tone: 'warn' });
    expect(explainBinding({ status: 'unchecked', platform: 'dns', invalid_code: '', last_checked_at: null }, at)).toMatchObject({ label: 'Not checked', tone: 'neutral' });
    expect(explainBinding({ status: 'invalid', platform: 'x', invalid_code: 'SOMETHING_NEW', last_checked_at: 0 }, at).meaning).toMatch(/SOMETHING_NEW/);
  });

  it('say what each witness alarm kind means for the log\'s readers', () => {
    expect(explainAlarm('fork').meaning).toMatch(/two different checkpoints of the same size/);
    expect(explainAlarm('root_mismatch')).toMatchObject({ label: 'root mismatch', meaning: expect.stringMatching(/does not match the entries it serves/) });
    expect(explainAlarm('inconsistent').meaning).toMatch(/does not extend the one this witness cosigned before/);
    expect(explainAlarm('<b>new</b>')).toEqual({ label: '<b>new</b>', meaning: 'The witness raised an alarm of a kind this page does not know.' });
  });
});

describe('the page\'s sources', () => {
  it('never build HTML from strings (no innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
    const dir = fileURLToPath(new URL('../../src/web/app', import.meta.url));
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const code = readFileSync(join(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, f).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|new Function|\beval\(/);
    }
  });
});
