import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

const BATCH_WAIT_MS = 1_500;
const MAIL_DELAY_MS = 200;

describe('10 messages in batches of 3, 1.5 s between batches, 0.2 s between mails', () => {
	let server: TestSmtpServer;
	let result: Awaited<ReturnType<typeof runPayrollMail>>;

	beforeAll(async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		result = await runPayrollMail({
			server,
			items: employeeItems(employees(10)),
			parameters: clerkParameters({ batchSize: 3, batchWait: BATCH_WAIT_MS / 1000, mailDelay: MAIL_DELAY_MS / 1000 }),
		});
	});
	afterAll(async () => server.close());

	/** The server's own arrival times, split where the pause is long enough to be a batch wait. */
	function arrivalBatches(): number[][] {
		const batches: number[][] = [];
		let previous = Number.NEGATIVE_INFINITY;
		for (const { arrivedAt } of server.messages) {
			if (arrivedAt - previous >= BATCH_WAIT_MS) batches.push([]);
			batches[batches.length - 1].push(arrivedAt);
			previous = arrivedAt;
		}
		return batches;
	}

	it('delivers in batches of at most 3, as the items report', () => {
		expect(server.messages).toHaveLength(10);
		expect(arrivalBatches().map((batch) => batch.length)).toEqual([3, 3, 3, 1]);
		expect(result.outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
	});

	// Both waits are pauses after a send has ended, and the server notes a mail's arrival before
	// it answers, so arrivals can only be further apart than the waits.
	it('keeps the batches at least 1.5 s apart and the mails of a batch at least 0.2 s apart', () => {
		const batches = arrivalBatches();
		for (let index = 1; index < batches.length; index++) {
			expect(batches[index][0] - batches[index - 1].at(-1)!).toBeGreaterThanOrEqual(BATCH_WAIT_MS);
		}
		for (const batch of batches) {
			for (let index = 1; index < batch.length; index++) {
				expect(batch[index] - batch[index - 1]).toBeGreaterThanOrEqual(MAIL_DELAY_MS);
			}
		}
	});

	it('takes within 30 % of the ideal 5.7 s from first to last mail', () => {
		const arrivals = server.messages.map((message) => message.arrivedAt);
		const total = arrivals.at(-1)! - arrivals[0];
		expect(total).toBeGreaterThanOrEqual(5_700 * 0.7);
		expect(total).toBeLessThanOrEqual(5_700 * 1.3);
	});
});
