import { readMailId } from '../../nodes/PayrollMail/core/mailId';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, parseMessages, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

const ARCHIVE = 'payroll-archive@example.com';
const users = { [SMTP_USER]: SMTP_PASSWORD };
const XTEXT_SAFE = /^[\x21-\x2a\x2c-\x3c\x3e-\x7e]{1,100}$/;

describe('delivery reports asked for on send (DSN, RFC 3461)', () => {
	const staff = employees(3);

	describe('from a server that offers DSN', () => {
		let server: TestSmtpServer;
		let result: Awaited<ReturnType<typeof runPayrollMail>>;

		beforeAll(async () => {
			server = await TestSmtpServer.start({ tls: 'none', offerDsn: true, users });
			result = await runPayrollMail({
				server,
				items: employeeItems(staff),
				parameters: clerkParameters({ bccEmail: ARCHIVE, options: { ccEmail: 'hr@example.com' } }),
				executionId: '4711',
			});
		});
		afterAll(async () => server.close());

		it('asks for headers only, with the mail ID as ENVID, which names the run and the item', () => {
			expect(result.error).toBeUndefined();
			const [sent] = result.outputs;
			expect(sent).toHaveLength(3);
			server.messages.forEach((message, index) => {
				const mailId = mailOf(sent[index]).mailId as string;
				expect(message.mailFromArgs).toMatchObject({ RET: 'HDRS', ENVID: mailId });
				expect(mailId).toMatch(XTEXT_SAFE);
				expect(readMailId(mailId)).toEqual({ execution: '4711', itemIndex: index, part: 0 });
			});
			expect(new Set(sent.map((item) => mailOf(item).mailId)).size).toBe(3);
		});

		it('asks for failure and delay reports for the employee and the Cc, and none for the archive copy', () => {
			expect(server.messages).toHaveLength(3);
			for (const [index, message] of server.messages.entries()) {
				expect(message.rcptArgs).toEqual({
					[staff[index].email]: { NOTIFY: 'FAILURE,DELAY' },
					'hr@example.com': { NOTIFY: 'FAILURE,DELAY' },
					[ARCHIVE]: { NOTIFY: 'NEVER' },
				});
			}
		});

		it('carries the same ID in the X-Payroll-Mail-ID header', async () => {
			const parsed = await parseMessages(server);
			expect(parsed).toHaveLength(3);
			parsed.forEach((mail, index) => {
				expect(mail.headers.get('x-payroll-mail-id')).toBe(mailOf(result.outputs[0][index]).mailId);
			});
		});
	});

	it('asks nothing of a server that does not offer DSN, and still carries the header', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', users });
		try {
			const result = await runPayrollMail({ server, items: employeeItems(staff.slice(0, 1)), parameters: clerkParameters({ bccEmail: ARCHIVE }) });
			expect(result.error).toBeUndefined();
			const [message] = server.messages;
			expect(Object.keys(message.mailFromArgs).filter((name) => ['RET', 'ENVID'].includes(name))).toEqual([]);
			expect(message.rcptArgs).toEqual({ [staff[0].email]: {}, [ARCHIVE]: {} });
			const [parsed] = await parseMessages(server);
			expect(parsed.headers.get('x-payroll-mail-id')).toBe(mailOf(result.outputs[0][0]).mailId);
		} finally {
			await server.close();
		}
	});

	it('asks for nothing and carries no ID with Delivery Reports off', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', offerDsn: true, users });
		try {
			const result = await runPayrollMail({
				server,
				items: employeeItems(staff.slice(0, 1)),
				parameters: clerkParameters({ bccEmail: ARCHIVE, options: { deliveryReports: false } }),
			});
			expect(result.error).toBeUndefined();
			const [message] = server.messages;
			expect(message.mailFromArgs.ENVID).toBeUndefined();
			expect(message.mailFromArgs.RET).toBeUndefined();
			expect(message.rcptArgs).toEqual({ [staff[0].email]: {}, [ARCHIVE]: {} });
			const [parsed] = await parseMessages(server);
			expect(parsed.headers.has('x-payroll-mail-id')).toBe(false);
			expect(mailOf(result.outputs[0][0]).mailId).toBeUndefined();
		} finally {
			await server.close();
		}
	});

	it('gives each message of an item its own ID with one mail per address', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', offerDsn: true, users });
		try {
			const items = [{ json: { email: 'a@example.com, b@example.com', name: 'Two', period: '2026-11' }, binary: employeeItems(staff)[0].binary }];
			const result = await runPayrollMail({ server, items, parameters: clerkParameters({ recipientMode: 'separate' }) });
			expect(result.error).toBeUndefined();
			const messages = mailOf(result.outputs[0][0]).messages as Array<{ mailId: string }>;
			expect(messages.map((message) => readMailId(message.mailId)?.part)).toEqual([0, 1]);
			expect(server.messages.map((message) => message.mailFromArgs.ENVID)).toEqual(messages.map((message) => message.mailId));
		} finally {
			await server.close();
		}
	});
});
