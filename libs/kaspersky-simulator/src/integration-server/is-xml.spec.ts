import { declaresDtd, parseXmlBody, textOf, XmlRequestError } from './is-xml';

describe('simulator request XML', () => {
  it('X6: refuses a DTD in the prolog', () => {
    expect(() =>
      parseXmlBody('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><tenant><name>&e;</name></tenant>'),
    ).toThrow(XmlRequestError);
    expect(declaresDtd('<!-- note --><!DOCTYPE x><x/>')).toBe(true);
  });

  it('issue 9: accepts "<!DOCTYPE" inside CDATA as text (the DTD check used to match inside userData)', () => {
    const body =
      '<tenant><name>t</name><userData><![CDATA[]]]]><![CDATA[><script>alert(1)</script><!DOCTYPE x>]]></userData></tenant>';
    expect(declaresDtd(body)).toBe(false);
    const doc = parseXmlBody(body) as { tenant: Record<string, unknown> };
    expect(textOf(doc.tenant.userData)).toBe(']]><script>alert(1)</script><!DOCTYPE x>');
  });
});
