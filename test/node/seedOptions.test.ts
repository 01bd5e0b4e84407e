import { simpleParser } from 'mailparser';
import type { IDataObject } from 'n8n-workflow';

import { TestSmtpServer } from '../support/testSmtpServer';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	parseMessages,
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
		const [mail] = await parseMessages(server);
		expect(server.messages[0].raw.toString()).toMatch(/src=(3D)?"cid:logo"/);
		expect(mail.html).toContain('<p>Dear Employee 1</p>');
		const logo = mail.attachments.find((attachment) => attachment.contentId === '<logo>');
		expect(logo?.content.equals(LOGO)).toBe(true);
		expect(logo?.contentDisposition).toBe('inline');
		expect(mail.attachments.find((attachment) => attachment.filename === 'payslip-2026-11.pdf')).toBeDefined();
	});
});

describe('include EML', () => {
	it('adds the mail exactly as the server received it as binary "eml"', async () => {
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(employees(2)),
			parameters: clerkParameters({ bccEmail: 'archive@example.com', options: { includeEml: true } }),
			binaryMode: 'default',
		});
		const received = await parseMessages(server);
		for (const [index, item] of outputs[0].entries()) {
			const eml = item.binary?.eml;
			expect(eml?.mimeType).toBe('message/rfc822');
			const bytes = Buffer.from(eml!.data, 'base64');
			expect(bytes.toString('latin1')).not.toMatch(/^bcc:/im);
			expect(item.binary?.data).toBeDefined();
			const parsed = await simpleParser(bytes);
			expect(parsed.messageId).toBe(received[index].messageId);
			expect(parsed.attachments[0].content.equals(received[index].attachments[0].content)).toBe(true);
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
		second.outputs[0].forEach((item, index) => {
			expect(mailOf(item)).toMatchObject({ status: 'skipped', sentAt: mailOf(first.outputs[0][index]).sentAt, attempts: 0 });
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
