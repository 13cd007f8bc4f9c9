import { insertBeforeBodyEnd, mentionsOtherUrls, rewriteLinks, trackableUrl } from './html-link-rewriter';

const mark = (url: string) => `https://t.example/c?u=${encodeURIComponent(url)}`;

describe('rewriteLinks', () => {
  it('rewrites the href of links only, as a browser reads it, leaving every other byte as rendered', () => {
    const html =
      '<html><head><style>a { color: red } /* <a href="https://style.example"> */</style>' +
      '<title><a href="https://title.example"></title></head><body>' +
      '<!-- <a href="https://comment.example"> --><p>see https://text.example</p>' +
      '<a class=b HREF = "https://a.example/x?y=1&amp;z=2" id=q>one</a>' +
      "<a href=https://unquoted.example/p>two</a><a href='https://single.example'>three</a>" +
      '<area href="http://area.example"/><img src="https://img.example/a.png">' +
      '<a data-x="https://data.example" href=" https://spaced.example ">four</a>' +
      '<a href="mailto:care@example.com">mail</a><a href="#top">top</a><a href="/relative">rel</a><a href="javascript:alert(1)">js</a>' +
      '</body></html>';
    const out = rewriteLinks(html, mark);
    expect(out).toBe(
      html
        .replace('HREF = "https://a.example/x?y=1&amp;z=2"', `href="${mark('https://a.example/x?y=1&z=2').replace(/&/g, '&amp;')}"`)
        .replace('href=https://unquoted.example/p', `href="${mark('https://unquoted.example/p')}"`)
        .replace("href='https://single.example'", `href="${mark('https://single.example')}"`)
        .replace('href="http://area.example"', `href="${mark('http://area.example')}"`)
        .replace('href=" https://spaced.example "', `href="${mark('https://spaced.example')}"`),
    );
  });

  it('leaves a link the replacer declines, and adds the pixel before </body> or at the end', () => {
    const html = '<body><a href="https://keep.example">k</a></BODY>';
    expect(rewriteLinks(html, () => null, '<img>')).toBe('<body><a href="https://keep.example">k</a><img></BODY>');
    expect(rewriteLinks('<p>no body element', () => null, '<img>')).toBe('<p>no body element<img>');
  });

  it('escapes what it writes into the attribute', () => {
    expect(rewriteLinks('<a href="https://x.example">x</a>', () => 'https://t.example/"><script>')).toBe('<a href="https://t.example/&quot;&gt;&lt;script&gt;">x</a>');
  });
});

describe('trackableUrl', () => {
  it.each([
    ['https://example.com/a', 'https://example.com/a'],
    ['  HTTP://EXAMPLE.com  ', 'HTTP://EXAMPLE.com'],
    ['https://exa mple.com', null],
    ['https://example.com/\u0000', null],
    ['mailto:a@example.com', null],
    ['//example.com/a', null],
    ['javascript:alert(1)', null],
    ['https://', null],
  ])('%j → %j', (href, expected) => {
    expect(trackableUrl(href)).toBe(expected);
  });
});

describe('the fast path', () => {
  it('sees other URLs, and not our own', () => {
    const own = 'https://care.example/';
    expect(mentionsOtherUrls('<a href="https://care.example/unsubscribe/x.y">u</a>', own)).toBe(false);
    expect(mentionsOtherUrls('<a href="https://care.example/u">u</a><img src="HTTPS://cdn.example/i.png">', own)).toBe(true);
  });

  it('inserts before the last </body>', () => {
    expect(insertBeforeBodyEnd('<body>a</body>', '<i>')).toBe('<body>a<i></body>');
    expect(insertBeforeBodyEnd('a', '<i>')).toBe('a<i>');
  });
});
