/**
 * The one-pass SOAP scanner against the validated fast-xml-parser path: wherever the scanner
 * answers, the full path must accept the body and give the same action, namespace and arguments;
 * real clients' envelopes must take the scanner; everything outside its subset must fall back.
 */
import { describe, expect, it } from 'vitest';
import { MAX_XML_DEPTH } from '../../src/soap/soap-constants.js';
import { scanSoapBody } from '../../src/soap/soap-scanner.js';
import { parseSoapBody, parseSoapBodyFully, type SoapBody } from '../../src/soap/xml.js';

const IPC1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';
const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
const ENV = 'xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"';
const ADD_ARGS: Array<[string, string]> = [
  ['NewRemoteHost', ''],
  ['NewExternalPort', '8080'],
  ['NewProtocol', 'TCP'],
  ['NewInternalPort', '8080'],
  ['NewInternalClient', '192.168.1.2'],
  ['NewEnabled', '1'],
  ['NewPortMappingDescription', 'libminiupnpc'],
  ['NewLeaseDuration', '3600'],
];

/** As miniupnpc 2.2 (upnpc, python3-miniupnpc) builds it (simpleUPnPcommand). */
const miniupnpc = (action: string, service: string, args: Array<[string, string]>): string =>
  `<?xml version="1.0"?>\r\n<s:Envelope ${ENV}><s:Body><u:${action} xmlns:u="${service}">` +
  args.map(([k, v]) => `<${k}>${v}</${k}>`).join('') +
  `</u:${action}></s:Body></s:Envelope>\r\n`;

/** As @achingbrain/nat-port-mapper builds it (indented, LF line ends, no trailing newline). */
const natPortMapper = (action: string, service: string, args: Array<[string, string]>): string =>
  `<?xml version="1.0"?>\n<s:Envelope ${ENV}>\n  <s:Body>\n    <u:${action} xmlns:u="${service}">` +
  args.map(([k, v]) => `\n      <${k}>${v}</${k}>`).join('') +
  `\n    </u:${action}>\n  </s:Body>\n</s:Envelope>`;

/** As nat-upnp builds it (one line, JSON-quoted namespace). */
const natUpnp = (action: string, service: string, args: Array<[string, string]>): string =>
  `<?xml version="1.0"?><s:Envelope ${ENV}><s:Body><u:${action} xmlns:u=${JSON.stringify(service)}>` +
  args.map(([k, v]) => `<${k}>${v}</${k}>`).join('') +
  `</u:${action}></s:Body></s:Envelope>`;

const CLIENT_BODIES: Array<[string, string]> = [
  ['miniupnpc GetExternalIPAddress', miniupnpc('GetExternalIPAddress', IPC1, [])],
  ['miniupnpc AddPortMapping', miniupnpc('AddPortMapping', IPC1, ADD_ARGS)],
  [
    'miniupnpc DeletePortMapping',
    miniupnpc('DeletePortMapping', IPC2, [
      ['NewRemoteHost', ''],
      ['NewExternalPort', '8080'],
      ['NewProtocol', 'TCP'],
    ]),
  ],
  ['nat-port-mapper AddAnyPortMapping', natPortMapper('AddAnyPortMapping', IPC2, ADD_ARGS)],
  ['nat-port-mapper GetExternalIPAddress', natPortMapper('GetExternalIPAddress', IPC2, [])],
  ['nat-upnp AddPortMapping', natUpnp('AddPortMapping', IPC1, ADD_ARGS)],
  ['nat-upnp GetGenericPortMappingEntry', natUpnp('GetGenericPortMappingEntry', IPC1, [['NewPortMappingIndex', '0']])],
  [
    'default namespace, no prefix',
    `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><GetStatusInfo xmlns="${IPC1}"/></Body></Envelope>`,
  ],
  ['namespace declared on the envelope', `<s:Envelope ${ENV} xmlns:m="${IPC2}"><s:Body><m:GetStatusInfo/></s:Body></s:Envelope>`],
  [
    'single-quoted attributes, spaces in tags',
    `<s:Envelope xmlns:s='x' ><s:Body ><u:X xmlns:u='${IPC1}' ><A >1</A ><B/><C ></C></u:X ></s:Body></s:Envelope >`,
  ],
  [
    'nested argument (first leaf wins)',
    miniupnpc('AddPortMapping', IPC1, [
      ['Wrap', '<NewExternalPort>1</NewExternalPort>'],
      ['NewExternalPort', '2'],
    ]),
  ],
  ['mixed content', miniupnpc('X', IPC1, [['Outer', 'text<Inner> v </Inner>more']])],
  ['no Body: every leaf counts', `<s:Envelope ${ENV}><Header><NewExternalPort>7</NewExternalPort></Header></s:Envelope>`],
  ['empty Body', `<s:Envelope ${ENV}><s:Body></s:Body></s:Envelope>`],
  ['not an envelope', '<root><a> 1 </a><b><a>2</a><c/></b></root>'],
  ['non-ASCII text', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', ' café ☕ ']])],
  ['a control character in text', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', 'a\u0001b']])],
  ['tabs and line ends in a namespace', `<s:Envelope ${ENV}><s:Body><u:X xmlns:u=" \tu\r\nv\rw "/></s:Body></s:Envelope>`],
  ['CR and CRLF line ends in text', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', 'a\rb\r\nc']])],
];

function same(scanned: SoapBody, full: ReturnType<typeof parseSoapBodyFully>): void {
  expect(full.ok).toBe(true);
  if (!full.ok) return;
  expect({ action: scanned.action, serviceType: scanned.serviceType, args: [...scanned.args] }).toEqual({
    action: full.body.action,
    serviceType: full.body.serviceType,
    args: [...full.body.args],
  });
}

describe('soap-scanner', () => {
  it.each(CLIENT_BODIES)('reads %s exactly as the validated parser does', (_name, body) => {
    const scanned = scanSoapBody(body);
    expect(typeof scanned).toBe('object');
    same(scanned as SoapBody, parseSoapBodyFully(body));
  });

  it('reads the arguments of a real AddPortMapping', () => {
    expect(scanSoapBody(miniupnpc('AddPortMapping', IPC1, ADD_ARGS))).toEqual({
      action: 'AddPortMapping',
      serviceType: IPC1,
      args: new Map(ADD_ARGS),
    });
  });

  const E = (inner: string): string => `<s:Envelope ${ENV}><s:Body><u:X xmlns:u="${IPC1}">${inner}</u:X></s:Body></s:Envelope>`;
  /** Outside the old subset, read by the scanner since issue 12 (fast-xml-parser is then not on the request path). */
  const WIDENED: Array<[string, string]> = [
    ['an entity reference', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', 'a &amp; b']])],
    ['a bare ampersand', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', 'a & b']])],
    ['a character reference', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', '&#65;']])],
    ['CDATA', miniupnpc('AddPortMapping', IPC1, [['NewPortMappingDescription', '<![CDATA[x]]>']])],
    ['a comment', miniupnpc('GetStatusInfo', IPC1, [['A', '<!-- c -->1']])],
    ['a processing instruction', miniupnpc('GetStatusInfo', IPC1, [['A', '<?pi x?>']])],
    ['text around a comment (one text node)', E('<A> x <!-- c --> y </A>')],
    ['text around CDATA (CDATA untrimmed)', E('<A> x <![CDATA[ z ]]> y </A><B><![CDATA[ z ]]></B>')],
    ['text around a processing instruction (two text nodes)', E('<A> x <?pi q?> y </A>')],
    ['character references of spaces', E('<A>&#32;x&#32;</A>')],
    ['CR LF in CDATA', E('<A><![CDATA[a\r\nb]]></A>')],
    ['-- inside a comment', E('<A>x<!-- a -- b -->y</A>')],
    [']]> in text', E('<A>x]]>y</A>')],
    ['an invalid character reference', E('<A>&#0;&#xD800;&a1;&x</A>')],
    ['entities in a namespace value', '<s:Envelope xmlns:s="e"><s:Body><u:X xmlns:u=" &#32;n&amp; "/></s:Body></s:Envelope>'],
    ['comments and PIs outside the root', `<!-- a --><?p q?>${E('<A>1</A>')}<!-- b -->`],
    ['an empty comment and empty CDATA', E('<A>x<!---->y</A><B>  <![CDATA[]]>  </B>')],
    ['many attributes', E(`<A${Array.from({ length: 40 }, (_, k) => ` a${k}="&amp;${k}"`).join('')}>v</A>`)],
    // The scan keeps no element tree: which leaves count, and their text, as the tree gave them.
    ['text around a child element (no leaf)', E('<A>x<B>1</B>y</A><A>2</A>')],
    ['nested arguments, first of each name', E('<A><B>1</B><C><B>2</B><D/></C></A><B>3</B><D>4</D>')],
    ['a leaf split by a PI and a CDATA section', E('<A> x <?p q?> y <![CDATA[ z ]]> w </A><A>no</A>')],
    ['many leaves of one name, then another', E(`${'<A>1</A>'.repeat(50)}<B>&amp;</B>${'<A>2</A>'.repeat(50)}`)],
    [
      'leaves beside the action and after the Body',
      `<s:Envelope ${ENV}><X>1</X><s:Body><u:Act xmlns:u="${IPC1}"><A>2</A></u:Act><Y>3</Y></s:Body><Z>4</Z></s:Envelope>`,
    ],
    [
      'a second Body',
      `<s:Envelope ${ENV}><s:Body><u:A xmlns:u="a"><P>1</P></u:A></s:Body><s:Body><u:B xmlns:u="b"><Q>2</Q></u:B></s:Body></s:Envelope>`,
    ],
    ['an empty Body', `<s:Envelope ${ENV}><X>1</X><s:Body/><Y>2</Y></s:Envelope>`],
    ['an empty action', `<s:Envelope ${ENV}><s:Body><u:Act xmlns:u="${IPC1}"/><A>1</A></s:Body></s:Envelope>`],
    ['an Envelope without a Body', `<s:Envelope ${ENV}><A>1</A><B><C>2</C></B><A>3</A></s:Envelope>`],
    ['a root that is not an Envelope', `<r><s:Body xmlns:s="x"><u:Act xmlns:u="y"><A>1</A></u:Act></s:Body><A>2</A></r>`],
    ['an empty Envelope', `<s:Envelope ${ENV}/>`],
    ['a leaf root', '<a> &amp; x </a>'],
    [
      'the action namespace on the Body and the Envelope',
      `<s:Envelope xmlns:s="e" xmlns:u=" r&amp; "><s:Body xmlns:u="b"><u:Act><A>1</A></u:Act></s:Body></s:Envelope>`,
    ],
    [
      'many namespace declarations on the action',
      `<s:Envelope ${ENV}><s:Body><u:Act${Array.from({ length: 40 }, (_, k) => ` xmlns:p${k}="q"`).join('')} xmlns:u=" n "><A>1</A></u:Act></s:Body></s:Envelope>`,
    ],
  ];
  it.each(WIDENED)('reads %s exactly as the validated parser does', (_name, body) => {
    const scanned = scanSoapBody(body);
    expect(typeof scanned).toBe('object');
    same(scanned as SoapBody, parseSoapBodyFully(body));
  });

  const FALLBACK: Array<[string, string]> = [
    ['a duplicate among many attributes', E(`<A${Array.from({ length: 40 }, (_, k) => ` a${k}="1"`).join('')} a7="2">v</A>`)],
    ['a second XML declaration', E('<?xml version="1.0"?><A/>')],
    ['CDATA outside the root', `<![CDATA[x]]>${E('')}`],
    ['an unterminated comment', E('<A><!-- x</A>')],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e "boom">]>${miniupnpc('GetStatusInfo', IPC1, [['A', '&e;']])}`],
    ['a non-ASCII name', miniupnpc('AddPortMapping', IPC1, [['Descriptión', 'x']])],
    ['a ">" in an attribute value', `<s:Envelope xmlns:s="a>b"/>`],
    ['a declaration not at the start', ` ${miniupnpc('GetStatusInfo', IPC1, [])}`],
    ['mismatched tags', `<s:Envelope ${ENV}><s:Body><u:X xmlns:u="${IPC1}"><A>1</B></u:X></s:Body></s:Envelope>`],
    ['an unclosed element', `<s:Envelope ${ENV}><s:Body>`],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a/>x'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a name with two colons', '<a:b:c/>'],
    ['nesting deeper than the limit', '<a>'.repeat(MAX_XML_DEPTH + 1) + '</a>'.repeat(MAX_XML_DEPTH + 1)],
  ];
  it.each(FALLBACK)('leaves %s to fast-xml-parser (or refuses it, cut short), with the same verdict as before', (_name, body) => {
    const scanned = scanSoapBody(body);
    const full = parseSoapBodyFully(body);
    if (scanned === 'malformed') {
      expect(full).toMatchObject({ ok: false, error: 'malformed' });
      expect(parseSoapBody(body)).toMatchObject({ ok: false, error: 'malformed' });
    } else {
      expect(scanned).toBeUndefined();
      expect(parseSoapBody(body)).toEqual(full);
    }
  });

  it('never answers differently from the validated parser on 30,000 mutated envelopes', () => {
    // Deterministic mutations of the client bodies: insert, delete, replace or duplicate, with a
    // bias towards the characters XML cares about.
    let seed = 0x2f6b1d3;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const TOKENS = [
      ...'<>/="\':&;!?-[] \t\r\nabsuXN0é\u0001#x',
      '<a>',
      '</a>',
      '<a/>',
      ' xmlns:u="q"',
      ' xmlns="w"',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      '&amp;',
      '&#65;',
      '&#x42;',
      '&lt;',
      '<?p x?>',
      '<?xml',
      ' &#32; ',
      '<?xml version="1.0"?>',
      's:',
      'u:',
      '<s:Body>',
      '</s:Body>',
      'Envelope',
      '\r\n',
      '  ',
    ];
    const corpus = CLIENT_BODIES.map(([, b]) => b);
    let accepted = 0;
    let refused = 0;
    let mismatches: string[] = [];
    for (let k = 0; k < 30_000; k++) {
      let s = corpus[rnd(corpus.length)]!;
      const edits = 1 + rnd(3);
      for (let e = 0; e < edits; e++) {
        const at = rnd(s.length + 1);
        const ch = TOKENS[rnd(TOKENS.length)]!;
        switch (rnd(4)) {
          case 0:
            s = s.slice(0, at) + ch + s.slice(at);
            break;
          case 1:
            s = s.slice(0, at) + s.slice(at + 1 + rnd(8));
            break;
          case 2:
            s = s.slice(0, at) + ch + s.slice(at + ch.length);
            break;
          default: {
            const len = 1 + rnd(24);
            s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
          }
        }
      }
      const scanned = scanSoapBody(s);
      if (scanned === undefined) continue;
      const full = parseSoapBodyFully(s);
      if (scanned === 'malformed') {
        // Cut short inside markup: the full path must refuse it too.
        refused++;
        if (full.ok || full.error !== 'malformed') mismatches.push(`malformed? ${JSON.stringify(s)}`);
        continue;
      }
      accepted++;
      const fullView = full.ok ? { action: full.body.action, serviceType: full.body.serviceType, args: [...full.body.args] } : full;
      const scanView = { action: scanned.action, serviceType: scanned.serviceType, args: [...scanned.args] };
      if (JSON.stringify(fullView) !== JSON.stringify(scanView)) mismatches.push(JSON.stringify(s));
      if (mismatches.length > 5) break;
    }
    expect(mismatches).toEqual([]);
    // The comparison above means something only if the scanner took many of the mutants.
    expect(accepted).toBeGreaterThan(3_000);
    expect(refused).toBeGreaterThan(100);
    mismatches = [];
  });
});
