import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { NODE_UNDER_TEST } from '../harness';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

const ARCHIVE = 'archive@example.com';

let server: TestSmtpServer;
beforeEach(async () => {
	server = await TestSmtpServer.start({
		tls: 'none',
		authMethods: ['LOGIN'],
		users: { [SMTP_USER]: SMTP_PASSWORD },
		refuseRecipient: (address) => (address.startsWith('gone') ? { code: 550, text: '5.1.1 mailbox unavailable' } : undefined),
	});
});
afterEach(async () => server.close());

const skipping = (options: IDataObject = {}, overrides: INodeParameters = {}) =>
	clerkParameters({ bccEmail: ARCHIVE, ...overrides, options: { skipAlreadySent: true, ...options } });

const statuses = (outputs: Array<Array<{ json: IDataObject }>>) => outputs.map((items) => items.map((item) => mailOf(item).status));

describe('Skip Already Sent: a mail is its key together with its recipients', () => {
	it('an Idempotency Key shared by every employee (the period) still sends each employee their own mail', async () => {
		const staticData: IDataObject = {};
		const parameters = skipping({ idempotencyKey: '={{ $json.period }}' });
		const items = employeeItems(employees(4));

		const first = await runPayrollMail({ server, items, parameters, staticData });
		expect(statuses(first.outputs)).toEqual([['sent', 'sent', 'sent', 'sent'], []]);
		expect(server.messages.map((message) => message.to[0])).toEqual(employees(4).map((employee) => employee.email));

		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(server.messages).toHaveLength(4);
		expect(statuses(second.outputs)).toEqual([['skipped', 'skipped', 'skipped', 'skipped'], []]);
		// Nobody is told another employee's mail was theirs: no borrowed time or Message-ID.
		for (const item of second.outputs[0]) expect(mailOf(item)).toMatchObject({ status: 'skipped', sentAt: null, messageId: null, attempts: 0 });
	});

	it('two items of one run that make the same mail: the first sends it, the second fails naming it', async () => {
		const items = employeeItems([...employees(2), employees(1)[0]]);
		const { outputs } = await runPayrollMail({
			server,
			items,
			parameters: skipping({ idempotencyKey: '={{ $json.period }}', parallelConnections: 3 }),
			staticData: {},
		});
		expect(statuses(outputs)).toEqual([['sent', 'sent'], ['failed']]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({
			code: 'EDUPLICATE',
			stage: 'validation',
			message: expect.stringMatching(/^Not sent: item 0 makes the same mail \(Idempotency Key "2026-11", to employee1@example\.com\) and sends it/),
		});
		expect(server.messages.map((message) => message.to[0])).toEqual(['employee1@example.com', 'employee2@example.com']);
	});

	it('without a key, two identical items (same address, subject and PDF) are one mail too', async () => {
		const items = employeeItems([employees(1)[0], employees(1)[0]]);
		const { outputs } = await runPayrollMail({ server, items, parameters: skipping(), staticData: {} });
		expect(statuses(outputs)).toEqual([['sent'], ['failed']]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ code: 'EDUPLICATE', message: expect.stringContaining('(the same subject and attachments, to employee1@example.com)') });
		expect(server.messages).toHaveLength(1);
	});

	it('a mail the archive took but the employee did not is failed, recorded for nobody, and sent by the next run', async () => {
		const staticData: IDataObject = {};
		const items = employeeItems([{ name: 'Gone', email: 'gone@example.com', period: '2026-11' }]);
		const first = await runPayrollMail({ server, items, parameters: skipping({ maxRetries: 0 }), staticData });
		expect(statuses(first.outputs)).toEqual([[], ['failed']]);
		expect(mailOf(first.outputs[1][0])).toMatchObject({ accepted: [ARCHIVE], rejected: ['gone@example.com'] });
		expect(mailOf(first.outputs[1][0]).error).toMatchObject({ stage: 'envelope', message: expect.stringContaining('gone@example.com') });

		const second = await runPayrollMail({ server, items, parameters: skipping({ maxRetries: 0 }), staticData });
		expect(statuses(second.outputs)).toEqual([[], ['failed']]);
		expect(server.mailFromCount()).toBe(2);
	});

	it('a mail some of whose recipients refused it is neither sent again nor reported skipped', async () => {
		const staticData: IDataObject = {};
		const items = employeeItems(employees(1));
		const parameters = skipping({ maxRetries: 0 }, { toEmail: '={{ $json.email }}, gone@example.com' });
		const first = await runPayrollMail({ server, items, parameters, staticData });
		expect(statuses(first.outputs)).toEqual([['partial'], []]);

		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(statuses(second.outputs)).toEqual([[], ['failed']]);
		expect(mailOf(second.outputs[0].concat(second.outputs[1])[0]).error).toMatchObject({
			code: 'EALREADYSENT',
			message: expect.stringMatching(
				/^Not sent again: an earlier execution sent this mail to some of its recipients only\. Sending it again would give the others a second copy/,
			),
		});
		expect(server.messages).toHaveLength(1);
	});

	it('a test run to the Test Recipient does not count as the employees\' mail', async () => {
		const staticData: IDataObject = {};
		const items = employeeItems(employees(2));
		const key = { idempotencyKey: '={{ $json.email }}-{{ $json.period }}' };
		const test = await runPayrollMail({ server, items, parameters: skipping(key, { sendMode: 'testRecipient', testRecipient: 'clerk@example.com' }), staticData });
		expect(statuses(test.outputs)).toEqual([['sent', 'sent'], []]);
		const real = await runPayrollMail({ server, items, parameters: skipping(key), staticData });
		expect(statuses(real.outputs)).toEqual([['sent', 'sent'], []]);
		expect(server.messages.map((message) => message.to[0])).toEqual(['clerk@example.com', 'clerk@example.com', 'employee1@example.com', 'employee2@example.com']);
	});

	it('one mail per address with a shared key: each address its own mail, each skipped on the next run', async () => {
		const staticData: IDataObject = {};
		const parameters = skipping({ idempotencyKey: '={{ $json.period }}' }, { recipientMode: 'separate', toEmail: '={{ $json.email }}, private@example.com' });
		const items = employeeItems(employees(1));
		const first = await runPayrollMail({ server, items, parameters, staticData });
		expect(statuses(first.outputs)).toEqual([['sent'], []]);
		const second = await runPayrollMail({ server, items, parameters, staticData });
		expect(statuses(second.outputs)).toEqual([['skipped'], []]);
		expect(server.messages.map((message) => message.to[0])).toEqual(['employee1@example.com', 'private@example.com']);
	});

	it('a record from an earlier version, which did not note to whom, is not trusted either way: the item fails, nothing is sent', async () => {
		// Static data as n8n keeps it for a node: under "node:<node name>".
		const staticData: IDataObject = { [`node:${NODE_UNDER_TEST}`]: { payrollMailSent: { '2026-11': '2026-11-25T08:00:00.000Z' } } };
		const { outputs } = await runPayrollMail({ server, items: employeeItems(employees(2)), parameters: skipping({ idempotencyKey: '={{ $json.period }}' }), staticData });
		expect(statuses(outputs)).toEqual([[], ['failed', 'failed']]);
		expect(mailOf(outputs[1][0]).error).toMatchObject({
			code: 'EALREADYSENT',
			message: expect.stringMatching(/an earlier version of this node noted the mail with Idempotency Key "2026-11" as sent on 2026-11-25T08:00:00\.000Z, without noting to whom/),
		});
		expect(server.messages).toHaveLength(0);
	});
});
