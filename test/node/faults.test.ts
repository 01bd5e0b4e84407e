import type { INodeParameters } from 'n8n-workflow';

import { TestSmtpServer } from '../support/testSmtpServer';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	runPayrollMail,
	SMTP_PASSWORD,
	SMTP_USER,
} from './payrollRun';

const UNKNOWN_USER = 'left.company@example.com';
const TOO_LARGE_MARKER = 'Employee 6,';

async function faultyServer() {
	return TestSmtpServer.start({
		tls: 'none',
		authMethods: ['LOGIN'],
		users: { [SMTP_USER]: SMTP_PASSWORD },
		refuseRecipient: (address) =>
			address === UNKNOWN_USER ? { code: 550, text: '5.1.1 <left.company@example.com>: user unknown' } : undefined,
		refuseMessage: (raw) =>
			raw.toString('latin1').includes(TOO_LARGE_MARKER) ? { code: 552, text: '5.3.4 Message size exceeds fixed limit' } : undefined,
	});
}

describe('per-item faults among valid items', () => {
	const staff = employees(8);
	staff[1].email = 'not-an-address';
	staff[3].email = UNKNOWN_USER;
	const items = employeeItems(staff);
	delete items[4].binary; // the payslip was never read for this employee
	items[6].binary!.data.data = Buffer.from('<html>payroll export error</html>'); // named .pdf, is not one
	let server: TestSmtpServer;
	let result: Awaited<ReturnType<typeof runPayrollMail>>;

	beforeAll(async () => {
		server = await faultyServer();
		result = await runPayrollMail({ server, items });
	});
	afterAll(async () => server.close());

	it('puts exactly the faulty items on Failed, each with its stage, in input order', () => {
		expect(result.error).toBeUndefined();
		const [sent, failed] = result.outputs;
		expect(failed.map((item) => item.pairedItem)).toEqual([{ item: 1 }, { item: 3 }, { item: 4 }, { item: 5 }, { item: 6 }]);
		expect(failed.map((item) => (mailOf(item).error as { stage: string }).stage)).toEqual([
			'validation',
			'envelope',
			'attachment',
			'data',
			'attachment',
		]);
		expect(sent.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }, { item: 7 }]);
		expect(failed.every((item) => mailOf(item).status === 'failed')).toBe(true);
	});

	it('delivers every valid payslip once, and nothing for the faulty ones', () => {
		expect(server.messages.map((message) => message.to[0])).toEqual([staff[0].email, staff[2].email, staff[7].email]);
	});

	it('tells the clerk what to do about each fault', () => {
		const errors = result.outputs[1].map((item) => mailOf(item).error as Record<string, unknown>);
		expect(errors[0]).toMatchObject({ code: 'EVALIDATION', permanent: true });
		expect(errors[0].message).toMatch(/To Email: "not-an-address" is not an e-mail address/);
		expect(errors[1]).toMatchObject({ responseCode: 550, permanent: true, command: 'RCPT TO' });
		expect(errors[1].message).toMatch(/refused the recipient: 550 5\.1\.1 .*user unknown\. Check the employee's address/);
		expect(errors[2]).toMatchObject({ code: 'EATTACHMENT', permanent: true });
		expect(errors[2].message).toMatch(/no binary property "data"/);
		expect(errors[3]).toMatchObject({ responseCode: 552, permanent: true });
		expect(errors[3].message).toMatch(/too large: 552 5\.3\.4 Message size exceeds fixed limit/);
		expect(errors[4].message).toMatch(/"payslip-2026-11\.pdf" in "data" is not a PDF/);
	});

	it('never retries a permanent refusal', () => {
		const attempts = result.outputs[1].map((item) => mailOf(item).attempts);
		expect(attempts).toEqual([0, 1, 0, 1, 0]);
	});
});

describe('some recipients refused, others accepted', () => {
	it('is a partial delivery on Sent that names the refused address', async () => {
		const server = await faultyServer();
		try {
			const [anna] = employees(1);
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems([{ ...anna, email: `anna@example.com, ${UNKNOWN_USER}` }]),
			});
			expect(outputs[1]).toHaveLength(0);
			const mail = mailOf(outputs[0][0]);
			expect(mail).toMatchObject({ status: 'partial', accepted: ['anna@example.com'], rejected: [UNKNOWN_USER] });
			expect(server.messages).toHaveLength(1);
		} finally {
			await server.close();
		}
	});
});

describe('dry run', () => {
	it('builds and checks everything, sends nothing, and shows where each mail would go', async () => {
		const server = await faultyServer();
		try {
			const staff = employees(5);
			const items = employeeItems(staff);
			delete items[2].binary;
			const { outputs } = await runPayrollMail({
				server,
				items,
				parameters: clerkParameters({ sendMode: 'dryRun', bccEmail: 'archive@example.com', batchSize: 2 }),
			});
			expect(server.connections).toEqual([]);
			expect(outputs[0].map((item) => mailOf(item).status)).toEqual(['dryRun', 'dryRun', 'dryRun', 'dryRun']);
			expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 2, 2]);
			expect(mailOf(outputs[0][0]).wouldSendTo).toEqual([staff[0].email, 'archive@example.com']);
			expect(outputs[1].map((item) => item.pairedItem)).toEqual([{ item: 2 }]);
		} finally {
			await server.close();
		}
	});
});

describe('test recipient', () => {
	it('sends every mail to the test address only and names the original recipients', async () => {
		const server = await faultyServer();
		try {
			const staff = employees(3);
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(staff),
				parameters: clerkParameters({
					sendMode: 'testRecipient',
					testRecipient: 'clerk@example.com',
					bccEmail: 'archive@example.com',
					options: { ccEmail: 'hr@example.com' },
				}),
			});
			expect(server.messages.map((message) => message.to)).toEqual([
				['clerk@example.com'],
				['clerk@example.com'],
				['clerk@example.com'],
			]);
			for (const message of server.messages) {
				expect(message.raw.toString('latin1')).not.toMatch(/employee\d@|hr@example|archive@example/);
			}
			expect(outputs[0].map(mailOf)).toEqual(
				staff.map((employee) =>
					expect.objectContaining({
						status: 'sent',
						testRecipient: 'clerk@example.com',
						to: [employee.email],
						cc: ['hr@example.com'],
						bcc: ['archive@example.com'],
						accepted: ['clerk@example.com'],
					}),
				),
			);
		} finally {
			await server.close();
		}
	});
});

describe('invalid node configuration', () => {
	const cases: Array<[string, INodeParameters, RegExp]> = [
		// n8n itself refuses to start with the required field left blank; an expression can still be empty.
		['an empty sender', { fromEmail: '={{ $json.payrollSender }}' }, /From Email is empty/],
		['a sender that is no address', { fromEmail: 'Payroll Office' }, /From Email: "Payroll Office" is not an e-mail address/],
		['a negative batch size', { batchSize: -1 }, /Mails per Batch must be a number 0 or more, not -1/],
		['a negative batch wait', { batchSize: 2, batchWait: -3 }, /Wait Between Batches \(Seconds\) must be a number from 0 to 86400, not -3/],
		['a negative mail delay', { mailDelay: -0.5 }, /Wait Between Mails \(Seconds\) must be a number from 0 to 3600, not -0.5/],
		['an attachment list that is no list', { attachments: 'data;;payslip' }, /Attachments: "data;;payslip" is not a comma-separated list/],
		// Items are read as their mails' turn comes; a list made by an expression is still checked for every item first.
		[
			'an attachment list that is no list for the last item only',
			{ attachments: '={{ $json.email === "employee3@example.com" ? "data;;payslip" : "data" }}' },
			/Attachments: "data;;payslip" is not a comma-separated list/,
		],
	];

	it.each(cases)('%s stops the node before anything is sent', async (_name, overrides, message) => {
		const server = await faultyServer();
		try {
			const { error, outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(3)),
				parameters: clerkParameters(overrides),
			});
			expect(error?.name).toBe('NodeOperationError');
			expect(error?.message).toMatch(message);
			expect(outputs.flat()).toEqual([]);
			expect(server.connections).toEqual([]);
		} finally {
			await server.close();
		}
	});

	it('with "On Error: Continue", puts every item on Failed instead, still sending nothing', async () => {
		const server = await faultyServer();
		try {
			const { error, outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(3)),
				parameters: clerkParameters({ batchSize: -1 }),
				settings: { onError: 'continueRegularOutput' },
			});
			expect(error).toBeUndefined();
			expect(outputs[0]).toEqual([]);
			expect(outputs[1].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
			expect(mailOf(outputs[1][0]).error).toMatchObject({ stage: 'validation', message: expect.stringMatching(/Mails per Batch/) });
			expect(server.connections).toEqual([]);
		} finally {
			await server.close();
		}
	});
});
