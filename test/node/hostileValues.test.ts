import { tmpdir } from 'node:os';
import { join } from 'node:path';

import libmime from 'libmime';
import type { IDataObject } from 'n8n-workflow';

import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, parseMessages, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

let server: TestSmtpServer;
beforeAll(async () => {
	server = await TestSmtpServer.start({
		tls: 'none',
		authMethods: ['LOGIN'],
		users: { [SMTP_USER]: SMTP_PASSWORD },
		refuseRecipient: (address) => (address === 'busy@example.com' ? { code: 450, text: '4.2.1 mailbox busy, try again later' } : undefined),
	});
});
afterAll(async () => server.close());
beforeEach(() => server.messages.splice(0));

/** Header lines of a raw message, folded as they travelled. */
function headerLines(raw: Buffer): string[] {
	return raw.toString('utf8').split('\r\n\r\n')[0].split('\r\n');
}

describe('custom header values of any length', () => {
	const words = Array.from({ length: 800 }, (_, index) => `word${index}`).join(' ');
	const oneWord = 'x'.repeat(5000);
	const umlauts = `Lohnabrechnung für März ${'ä'.repeat(1500)}`;

	it.each([
		['5,000 characters of words', words],
		['5,000 characters without a space', oneWord],
		['a long value beyond ASCII', umlauts],
	])('%s: folded into lines of at most 78 characters, and read back unchanged', async (_name, value) => {
		await runPayrollMail({
			server,
			items: employeeItems(employees(1)),
			parameters: clerkParameters({ options: { headers: { header: [{ name: 'X-Payroll-Note', value }] } } }),
		});
		expect(server.messages).toHaveLength(1);
		const lines = headerLines(server.messages[0].raw);
		const noteLines = lines.slice(lines.findIndex((line) => line.startsWith('X-Payroll-Note:')));
		expect(noteLines.length).toBeGreaterThan(1);
		for (const line of lines) expect(line.length).toBeLessThanOrEqual(78);
		// Unfolded and its encoded words decoded, as a mail program shows it.
		const [mail] = await parseMessages(server);
		expect(libmime.decodeWords(String(mail.headers.get('x-payroll-note')))).toBe(value);
	});
});

describe('messages a clerk can act on', () => {
	it('a 450 at RCPT ("mailbox busy") says it is temporary, not that the address is wrong', async () => {
		const items = employeeItems([{ name: 'Busy', email: 'busy@example.com', period: '2026-11' }]);
		const { outputs } = await runPayrollMail({ server, items, parameters: clerkParameters({ options: { maxRetries: 0 } }) });
		const { error } = mailOf(outputs[1][0]) as { error: IDataObject };
		expect(error).toMatchObject({ stage: 'envelope', responseCode: 450, permanent: false });
		expect(error.message).toMatch(/could not take the mail for busy@example\.com just now: 450 4\.2\.1 mailbox busy.*usually temporary.*run this item again later/);
		expect(error.message).not.toMatch(/Check the employee's address/);
	});

	it('a pickup folder whose name holds a system error code keeps its own message, not n8n\'s generic one', async () => {
		const folder = join(tmpdir(), `payroll-EEXIST-EACCES-${process.pid}`, 'pickup');
		const { error } = await runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters({ delivery: 'pickupDirectory', pickupDirectory: folder }) });
		expect(error?.message).toBe(`The pickup folder "${folder}" does not exist`);
	});
});
