import iconv from 'iconv-lite';
import { simpleParser } from 'mailparser';
import type { IDataObject } from 'n8n-workflow';

import { binaryBytes, failBinaryStorage } from '../harness';
import { TestSmtpServer } from '../support/testSmtpServer';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	parseMessages,
	payslipPdf,
	runPayrollMail,
	SMTP_PASSWORD,
	SMTP_USER,
} from './payrollRun';

let server: TestSmtpServer;
beforeEach(async () => {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
});
afterEach(async () => server.close());

const LOGO = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64',
);

describe('headers', () => {
	it('adds the clerk\'s headers, Auto-Submitted by default and a read receipt on request', async () => {
		await runPayrollMail({
			server,
			items: employeeItems(employees(1)),
			parameters: clerkParameters({
				options: {
					replyTo: 'HR Office <hr@example.com>',
					readReceipt: true,
					headers: { header: [{ name: 'X-Payroll-Period', value: '={{ $json.period }}' }] },
				},
			}),
		});
		const [mail] = await parseMessages(server);
		expect(mail.headers.get('x-payroll-period')).toBe('2026-11');
		expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
		expect((mail.headers.get('disposition-notification-to') as { text: string }).text).toContain('hr@example.com');
	});

	it('leaves Auto-Submitted out when switched off', async () => {
		await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ options: { autoSubmitted: false } }) });
		const [mail] = await parseMessages(server);
		expect(mail.headers.has('auto-submitted')).toBe(false);
		expect(mail.headers.has('disposition-notification-to')).toBe(false);
	});

	it('refuses a header value with a line break instead of injecting a header', async () => {
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(employees(2)),
			parameters: clerkParameters({
				options: { headers: { header: [{ name: 'X-Note', value: '={{ $json.name === "Employee 2" ? "ok\\r\\nBcc: thief@example.com" : "ok" }}' }] } },
			}),
		});
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/line break/) });
		expect(server.messages).toHaveLength(1);
		expect(server.messages[0].raw.toString()).not.toContain('thief@example.com');
	});

	it('refuses a header the node sets itself', async () => {
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(employees(1)),
			parameters: clerkParameters({ options: { headers: { header: [{ name: 'Bcc', value: 'someone@example.com' }] } } }),
		});
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/"Bcc" is set by the node/) });
		expect(server.messages).toHaveLength(0);
	});
});

describe('inline images', () => {
	it('embeds the logo as cid:<property name> for the HTML body', async () => {
		const items = employeeItems(employees(1));
		items[0].binary!.logo = { data: LOGO, fileName: 'logo.png', mimeType: 'image/png' };
		await runPayrollMail({
			server,
			items,
			parameters: clerkParameters({
				emailFormat: 'html',
				html: '=<p>Dear {{ $json.name }}</p><img src="cid:logo">',
				options: { inlineImages: 'logo' },
			}),
		});
		expect(server.messages).toHaveLength(1);
		const [mail] = await parseMessages(server);
		expect(server.messages[0].raw.toString()).toMatch(/src=(3D)?"cid:logo"/);
		expect(mail.html).toContain('<p>Dear Employee 1</p>');
		const logo = mail.attachments.find((attachment) => attachment.contentId === '<logo>');
		expect(logo?.content.equals(LOGO)).toBe(true);
		expect(logo?.contentDisposition).toBe('inline');
		const payslip = mail.attachments.find((attachment) => attachment.filename === 'payslip-2026-11.pdf');
		expect(payslip?.content.equals(payslipPdf(employees(1)[0]))).toBe(true);
	});
});

describe.each(['default', 'filesystem'] as const)('include EML (%s binary mode)', (binaryMode) => {
	it('adds each mail byte for byte as the server received it as binary "eml", and keeps the input payslip as it was', async () => {
		const staff = employees(2);
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(staff),
			parameters: clerkParameters({ bccEmail: 'archive@example.com', options: { includeEml: true } }),
			binaryMode,
		});
		expect(outputs[1]).toEqual([]);
		expect(outputs[0]).toHaveLength(2);
		expect(server.messages).toHaveLength(2);
		for (const [index, item] of outputs[0].entries()) {
			const eml = item.binary?.eml;
			expect(eml?.mimeType).toBe('message/rfc822');
			const bytes = await binaryBytes(eml!);
			expect(bytes.equals(server.messages[index].raw)).toBe(true);
			expect(bytes.toString('latin1')).not.toMatch(/^bcc:/im);
			expect((await simpleParser(bytes)).messageId).toBe(mailOf(item).messageId);
			expect((await binaryBytes(item.binary!.data)).equals(payslipPdf(staff[index]))).toBe(true);
		}
	});

	it('names the further mails of an item eml_2, … in one-mail-per-address mode, each as received', async () => {
		const [anna] = employees(1);
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems([{ ...anna, email: 'anna@example.com, anna.private@example.org' }]),
			parameters: clerkParameters({ recipientMode: 'separate', options: { includeEml: true } }),
			binaryMode,
		});
		expect(outputs[0]).toHaveLength(1);
		expect(server.messages).toHaveLength(2);
		const binary = outputs[0][0].binary!;
		expect(Object.keys(binary).sort()).toEqual(['data', 'eml', 'eml_2']);
		expect((await binaryBytes(binary.eml)).equals(server.messages[0].raw)).toBe(true);
		expect((await binaryBytes(binary.eml_2)).equals(server.messages[1].raw)).toBe(true);
	});

	it('never throws once the mails went out: a copy n8n cannot store is named on its item, which stays on Sent', async () => {
		const staff = employees(3);
		const restore = failBinaryStorage((binary) =>
			binary.mimeType === 'message/rfc822' ? Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) : undefined,
		);
		let result: Awaited<ReturnType<typeof runPayrollMail>>;
		try {
			result = await runPayrollMail({
				server,
				items: employeeItems(staff),
				parameters: clerkParameters({ options: { includeEml: true } }),
				binaryMode,
			});
		} finally {
			restore();
		}
		expect(result.error).toBeUndefined();
		expect(server.messages).toHaveLength(3);
		expect(result.outputs[1]).toEqual([]);
		expect(result.outputs[0]).toHaveLength(3);
		const parsed = await parseMessages(server);
		for (const [index, item] of result.outputs[0].entries()) {
			expect(mailOf(item)).toMatchObject({ status: 'sent', messageId: parsed[index].messageId, attempts: 1 });
			expect(mailOf(item).emlError).toMatch(/^The mail was sent, but its copy for Include EML could not be stored: ENOSPC/);
			expect(Object.keys(item.binary ?? {})).toEqual(['data']);
			expect((await binaryBytes(item.binary!.data)).equals(payslipPdf(staff[index]))).toBe(true);
		}
	});
});

describe('skip already sent', () => {
	it('a second execution of the same workflow and items sends nothing and reports every item skipped', async () => {
		const staticData: IDataObject = {};
		const parameters = clerkParameters({ bccEmail: 'archive@example.com', options: { skipAlreadySent: true } });
		const items = employeeItems(employees(4));

		const first = await runPayrollMail({ server, items, parameters, staticData });
		expect(first.outputs[0].map((item) => mailOf(item).status)).toEqual(['sent', 'sent', 'sent', 'sent']);
		expect(server.messages).toHaveLength(4);

		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(server.messages).toHaveLength(4);
		expect(second.outputs[1]).toEqual([]);
		expect(second.outputs[0]).toHaveLength(4);
		// n8n's own store keeps no time or Message-ID; the item says so.
		second.outputs[0].forEach((item) => {
			expect(mailOf(item)).toMatchObject({ status: 'skipped', sentAt: null, messageId: null, attempts: 0, note: expect.stringMatching(/keeps no time/) });
		});
	});

	it('sends a corrected payslip again: another PDF is another mail', async () => {
		const staticData: IDataObject = {};
		const parameters = clerkParameters({ options: { skipAlreadySent: true } });
		const items = employeeItems(employees(2));
		await runPayrollMail({ server, items, parameters, staticData });
		items[1].binary!.data.data = Buffer.concat([items[1].binary!.data.data, Buffer.from('\n% corrected')]);
		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(second.error?.message).toBeUndefined();
		expect(second.outputs[0].map((item) => mailOf(item).status)).toEqual(['skipped', 'sent']);
		expect(server.messages).toHaveLength(3);
	});

	it('uses the clerk\'s idempotency key when given', async () => {
		const staticData: IDataObject = {};
		const parameters = clerkParameters({ options: { skipAlreadySent: true, idempotencyKey: '={{ $json.email }}-{{ $json.period }}' } });
		await runPayrollMail({ server, items: employeeItems(employees(2)), parameters, staticData });
		const changed = employeeItems(employees(2)).map((item) => ({ ...item, json: { ...item.json, name: 'Renamed' } }));
		const second = await runPayrollMail({ server, items: changed, parameters: { ...parameters, subject: 'Another subject' }, staticData });
		expect(second.outputs[0].map((item) => mailOf(item).status)).toEqual(['skipped', 'skipped']);
		expect(server.messages).toHaveLength(2);
	});

	it('records nothing for a mail that failed, so the next run sends it', async () => {
		const staticData: IDataObject = {};
		const parameters = clerkParameters({ options: { skipAlreadySent: true, maxRetries: 0 } });
		const items = employeeItems(employees(2));
		const refusing = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			refuseRecipient: (address) => (address === 'employee2@example.com' ? { code: 451, text: '4.3.0 try later' } : undefined),
		});
		try {
			const first = await runPayrollMail({ server: refusing, items, parameters, staticData });
			expect(first.outputs[1]).toHaveLength(1);
		} finally {
			await refusing.close();
		}
		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(second.outputs[0].map((item) => mailOf(item).status)).toEqual(['skipped', 'sent']);
		expect(server.messages.map((message) => message.to[0])).toEqual(['employee2@example.com']);
	});
});

describe('character set, transfer encoding, subject folding, RTF', () => {
	const SUBJECT = 'Lohnabrechnung für März 2026 – Jürg Müller, Genève, Abteilung Buchhaltung und Personaladministration, Zürich';
	const TEXT = 'Grüezi Jürg, anbei Ihre Lohnabrechnung über 1\'234.50 CHF. Freundliche Grüsse, Lohnbüro';

	function partBytes(raw: Buffer, contentType: RegExp): { charset: string; encoding: string; bytes: Buffer } {
		const text = raw.toString('latin1');
		const match = new RegExp(`Content-Type: (${contentType.source})[^\\r]*charset=([\\w-]+)\\r\\nContent-Transfer-Encoding: ([\\w-]+)\\r\\n(?:[^\\r]+\\r\\n)*\\r\\n([\\s\\S]*?)\\r\\n--`, 'i').exec(text)!;
		const [, , charset, encoding, body] = match;
		const bytes =
			encoding.toLowerCase() === 'base64'
				? Buffer.from(body, 'base64')
				: encoding.toLowerCase() === 'quoted-printable'
					? Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
					: Buffer.from(body, 'latin1');
		return { charset, encoding: encoding.toLowerCase(), bytes };
	}

	it('writes subject and body in Windows-1252, declared so, and they read back unchanged', async () => {
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(employees(1)),
			parameters: clerkParameters({ subject: SUBJECT, text: TEXT, options: { charset: 'windows1252', transferEncoding: 'quotedPrintable' } }),
		});
		expect(outputs[1]).toEqual([]);
		const raw = server.messages[0].raw;
		const part = partBytes(raw, /text\/plain/);
		expect(part.charset.toLowerCase()).toBe('windows-1252');
		expect(part.encoding).toBe('quoted-printable');
		expect(iconv.decode(part.bytes, 'windows-1252').trim()).toBe(TEXT);
		expect(raw.toString('latin1')).toMatch(/Subject: =\?windows-1252\?/i);
		const [mail] = await parseMessages(server);
		expect(mail.subject).toBe(SUBJECT);
		expect(mail.text?.trim()).toBe(TEXT);
	});

	it('fails the mail whose text has a character the code page lacks, naming it', async () => {
		const items = employeeItems(employees(2));
		items[1].json.name = 'Renée (bonus €)';
		const { outputs } = await runPayrollMail({
			server,
			items,
			parameters: clerkParameters({ subject: 'Lohnabrechnung', options: { charset: 'iso88591' } }),
		});
		expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/"€".*ISO-8859-1/) });
		expect(server.messages).toHaveLength(1);
	});

	it('folds a long subject into lines of at most 78 columns that unfold to the original; or keeps one line', async () => {
		for (const foldSubject of [true, false]) {
			const before = server.messages.length;
			await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ subject: SUBJECT, options: { foldSubject } }) });
			const raw = server.messages[before].raw.toString('latin1');
			const header = /^Subject: .*(?:\r\n[ \t].*)*/m.exec(raw)![0];
			const lines = header.split('\r\n');
			if (foldSubject) {
				expect(lines.length).toBeGreaterThan(1);
				expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(78);
			} else {
				expect(lines).toHaveLength(1);
			}
			expect((await simpleParser(server.messages[before].raw)).subject).toBe(SUBJECT);
		}
	});

	it('sends base64 when asked', async () => {
		await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ text: TEXT, options: { transferEncoding: 'base64' } }) });
		const part = partBytes(server.messages[0].raw, /text\/plain/);
		expect(part.encoding).toBe('base64');
		expect(part.bytes.toString('utf8').trim()).toBe(TEXT);
	});

	it('sends an RTF body as a text/rtf part with the source intact', async () => {
		const rtf = '{\\rtf1\\ansi Sehr geehrte Frau Muster,\\par Ihre Lohnabrechnung liegt bei.\\par}';
		await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ emailFormat: 'rtf', rtf }) });
		const raw = server.messages[0].raw.toString('latin1');
		expect(raw).toMatch(/Content-Type: text\/rtf/i);
		const [mail] = await parseMessages(server);
		const part = mail.attachments.find((attachment) => attachment.contentType === 'text/rtf');
		expect(part?.content.toString('latin1').trim()).toBe(rtf);
	});

	it('sends 8bit only to a server that offers 8BITMIME', async () => {
		await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ text: TEXT, options: { transferEncoding: 'eightBit' } }) });
		const part = partBytes(server.messages[0].raw, /text\/plain/);
		expect(part.encoding).toBe('8bit');
		expect(part.bytes.toString('latin1')).toContain(Buffer.from('Grüezi', 'utf8').toString('latin1'));

		const sevenBit = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, hide8BitMime: true });
		try {
			const { outputs } = await runPayrollMail({
				server: sevenBit,
				items: employeeItems(employees(2)),
				parameters: clerkParameters({ text: TEXT, options: { transferEncoding: 'eightBit' } }),
			});
			expect(outputs[1].map((item) => (mailOf(item).error as { code: string }).code)).toEqual(['E8BITMIME', 'E8BITMIME']);
			expect(sevenBit.messages).toHaveLength(0);
		} finally {
			await sevenBit.close();
		}
	});
});
