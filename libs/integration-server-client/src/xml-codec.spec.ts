import { assertXmlText, buildXml, cdata, parseXml, textOf, XmlSafetyError } from './xml-codec';

describe('xml-codec', () => {
  const roundTrip = (value: string) => {
    const xml = buildXml({ tenant: { name: value, userData: cdata(value) } });
    const doc = parseXml(xml) as { tenant: Record<string, unknown> };
    return {
      xml,
      name: textOf(doc.tenant.name),
      userData: textOf(doc.tenant.userData),
      elements: Object.keys(doc.tenant),
    };
  };

  it.each([
    ['X1 CDATA terminator followed by markup', 'a]]><vKsc><user><name>evil</name></user></vKsc><![CDATA[b'],
    ['X2 two terminators', 'x]]>y]]>z'],
    ['X3 element markup in a name', '</name><type>Simple</type><name>'],
    ['escaped entities stay literal', '&amp; &#x0; &lt;'],
    ['quotes and non-ASCII', `"double" 'single' Grüße 東京`],
  ])('%s round-trips exactly and adds no elements', (_label, value) => {
    const r = roundTrip(value);
    expect(r.name).toBe(value);
    expect(r.userData).toBe(value);
    // Whatever the text holds, the document keeps exactly the elements we built.
    expect(r.elements).toEqual(['name', 'userData']);
  });

  it('splits every ]]> inside CDATA', () => {
    expect(buildXml({ u: cdata('x]]>y]]>z') })).toBe('<u><![CDATA[x]]]]><![CDATA[>y]]]]><![CDATA[>z]]></u>');
  });

  it('X4: refuses control characters and lone surrogates, naming the field and the character', () => {
    expect(() => assertXmlText('a\u0000b', 'name', 100)).toThrow(/name contains U\+0000 at position 1/);
    expect(() => assertXmlText('\u001b[31m', 'userData', 100)).toThrow(/U\+001B/);
    expect(() => assertXmlText('x\uDC00', 'name', 100)).toThrow(/U\+DC00/);
    expect(() => assertXmlText('tab\tnewline\n\r ok 🛡️', 'name', 100)).not.toThrow();
  });

  it('X5: refuses text over the limit', () => {
    expect(() => assertXmlText('x'.repeat(101), 'userData', 100)).toThrow(XmlSafetyError);
  });

  it('X6: refuses any DTD before parsing', () => {
    expect(() => parseXml('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')).toThrow(/DTD/);
    expect(() => parseXml('<x>unclosed')).toThrow(XmlSafetyError);
  });

  it("X6: a DOCTYPE inside CDATA is text, not a DTD (a tenant's userData may contain it)", () => {
    const doc = parseXml(
      '<tenant><userData><![CDATA[a]]]]><![CDATA[><script>x</script><!DOCTYPE x>]]></userData></tenant>',
    );
    expect(textOf((doc.tenant as Record<string, unknown>).userData)).toBe('a]]><script>x</script><!DOCTYPE x>');
    expect(() => parseXml('<!-- c --><!DOCTYPE x><x/>')).toThrow(/DTD/);
  });
});
