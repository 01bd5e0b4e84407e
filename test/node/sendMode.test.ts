import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * Send Mode (version 1.1): Send, Dry Run, Only to a Test Address. Workflows saved with version 1
 * keep Dry Run and Test Recipient under Options, and they keep working as saved.
 */
let server: TestSmtpServer;
beforeAll(async () => {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
});
afterAll(async () => server.close());
beforeEach(() => server.messages.splice(0));

const statuses = (outputs: Array<Array<{ json: object }>>) => outputs.map((items) => items.map((item) => mailOf(item as never).status));

describe('version 1.1: Send Mode', () => {
	it('Only to a Test Address with the address left empty: nothing sent, every item says what to enter', async () => {
		const { outputs } = await runPayrollMail({ server, items: employeeItems(employees(2)), parameters: clerkParameters({ sendMode: 'testRecipient', testRecipient: ' ' }) });
		expect(outputs[0]).toHaveLength(0);
		for (const item of outputs[1]) expect(mailOf(item).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/^Test Address is empty: enter your own address, or choose Send Mode → Send/) });
		expect(server.messages).toHaveLength(0);
	});

	it('Send Mode is the same for the whole run: an expression that differs per item stops the node before anything is sent', async () => {
		const { error } = await runPayrollMail({
			server,
			items: employeeItems(employees(2)),
			parameters: clerkParameters({ sendMode: '={{ $json.email.startsWith("employee1") ? "send" : "dryRun" }}', testRecipient: 'clerk@example.com' }),
		});
		expect(error?.message).toMatch(/^Send Mode holds for the whole run/);
		expect(server.messages).toHaveLength(0);
	});

	it('Dry Run and Test Recipient under Options are not read by a version 1.1 node (the editor no longer shows them there)', async () => {
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(employees(1)),
			parameters: clerkParameters({ sendMode: 'dryRun', options: { testRecipient: 'clerk@example.com' } }),
		});
		expect(statuses(outputs)).toEqual([['dryRun'], []]);
		expect(mailOf(outputs[0][0]).wouldSendTo).toEqual(['employee1@example.com']);
	});
});

describe('version 1 workflows, as saved', () => {
	it('Options → Dry Run still sends nothing', async () => {
		const { outputs } = await runPayrollMail({ server, typeVersion: 1, items: employeeItems(employees(2)), parameters: clerkParameters({ options: { dryRun: true } }) });
		expect(statuses(outputs)).toEqual([['dryRun', 'dryRun'], []]);
		expect(server.connections).toEqual([]);
	});

	it('Options → Test Recipient still sends to the test address only', async () => {
		const { outputs } = await runPayrollMail({ server, typeVersion: 1, items: employeeItems(employees(2)), parameters: clerkParameters({ options: { testRecipient: 'clerk@example.com' } }) });
		expect(statuses(outputs)).toEqual([['sent', 'sent'], []]);
		expect(server.messages.map((message) => message.to)).toEqual([['clerk@example.com'], ['clerk@example.com']]);
	});

	it('a Send Mode in a version 1 node is not read: the node sends as version 1 did', async () => {
		const { outputs } = await runPayrollMail({ server, typeVersion: 1, items: employeeItems(employees(1)), parameters: clerkParameters({ sendMode: 'dryRun' }) });
		expect(statuses(outputs)).toEqual([['sent'], []]);
	});
});
