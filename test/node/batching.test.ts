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

const BATCH_WAIT_MS = 1_500;
const MAIL_DELAY_MS = 200;

/**
 * The server's arrival times, grouped by the batch the node reported for each mail (matched by
 * Message-ID): the batches are the node's own, and the gaps between them are measured, not assumed.
 */
async function arrivalsByReportedBatch(server: TestSmtpServer, batchOf: Map<string, number>): Promise<number[][]> {
	const parsed = await parseMessages(server);
	const batches: number[][] = [];
	parsed.forEach((mail, index) => {
		const batch = batchOf.get(mail.messageId ?? '');
		if (batch === undefined) throw new Error(`the server got ${mail.messageId}, which no item reports`);
		(batches[batch - 1] ??= []).push(server.messages[index].arrivedAt);
	});
	return batches;
}

describe('10 messages in batches of 3, 1.5 s between batches, 0.2 s between mails', () => {
	let server: TestSmtpServer;
	let result: Awaited<ReturnType<typeof runPayrollMail>>;
	let batches: number[][];

	beforeAll(async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		result = await runPayrollMail({
			server,
			items: employeeItems(employees(10)),
			parameters: clerkParameters({ batchSize: 3, batchWait: BATCH_WAIT_MS / 1000, mailDelay: MAIL_DELAY_MS / 1000 }),
		});
		batches = await arrivalsByReportedBatch(
			server,
			new Map(result.outputs[0].map((item) => [mailOf(item).messageId as string, mailOf(item).batch as number])),
		);
	});
	afterAll(async () => server.close());

	it('reports batches of at most 3, in input order, and the server got each mail once', () => {
		expect(result.outputs[1]).toEqual([]);
		expect(result.outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
		expect(server.messages).toHaveLength(10);
		expect(batches.map((batch) => batch.length)).toEqual([3, 3, 3, 1]);
	});

	// Both waits are pauses after a send has ended, and the server notes a mail's arrival before
	// it answers, so arrivals can only be further apart than the waits: these lower bounds are exact.
	it('keeps the reported batches at least 1.5 s apart and the mails of a batch at least 0.2 s apart', () => {
		expect(batches).toHaveLength(4);
		for (let index = 1; index < batches.length; index++) {
			expect(batches[index][0] - batches[index - 1].at(-1)!).toBeGreaterThanOrEqual(BATCH_WAIT_MS);
		}
		const gapsInBatches = batches.flatMap((batch) => batch.slice(1).map((arrivedAt, index) => arrivedAt - batch[index]));
		expect(gapsInBatches).toHaveLength(6);
		for (const gap of gapsInBatches) expect(gap).toBeGreaterThanOrEqual(MAIL_DELAY_MS);
	});

	it('takes at least the ideal 5.7 s from first to last mail, and no wait more than asked for', () => {
		const arrivals = server.messages.map((message) => message.arrivedAt);
		const total = arrivals.at(-1)! - arrivals[0];
		expect(total).toBeGreaterThanOrEqual(3 * BATCH_WAIT_MS + 6 * MAIL_DELAY_MS);
		// One more wait of either kind would add 0.2 s or more; the margin is for a loaded machine.
		expect(total).toBeLessThan(3 * BATCH_WAIT_MS + 6 * MAIL_DELAY_MS + 3_000);
	});
});

describe('one mail per address: batches count mails, not items', () => {
	it('puts 6 mails from 3 items (3, 1 and 2 addresses) into batches of 2, 0.3 s apart', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		try {
			const staff = employees(3);
			staff[0].email = 'a1@example.com, a2@example.com, a3@example.com';
			staff[1].email = 'b1@example.com';
			staff[2].email = 'c1@example.com; c2@example.com';
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(staff),
				parameters: clerkParameters({ recipientMode: 'separate', batchSize: 2, batchWait: 0.3 }),
			});
			expect(outputs[1]).toEqual([]);
			expect(outputs[0]).toHaveLength(3);
			const messagesOf = (index: number) => (mailOf(outputs[0][index]).messages ?? [mailOf(outputs[0][index])]) as Array<Record<string, unknown>>;
			expect([0, 1, 2].map((index) => messagesOf(index).map((message) => message.batch))).toEqual([[1, 1, 2], [2], [3, 3]]);
			expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 2, 3]);
			expect(server.messages.map((message) => message.to[0])).toEqual([
				'a1@example.com',
				'a2@example.com',
				'a3@example.com',
				'b1@example.com',
				'c1@example.com',
				'c2@example.com',
			]);
			const batchOf = new Map([0, 1, 2].flatMap((index) => messagesOf(index).map((message) => [message.messageId as string, message.batch as number])));
			const batches = await arrivalsByReportedBatch(server, batchOf);
			expect(batches.map((batch) => batch.length)).toEqual([2, 2, 2]);
			expect(batches[1][0] - batches[0][1]).toBeGreaterThanOrEqual(300);
			expect(batches[2][0] - batches[1][1]).toBeGreaterThanOrEqual(300);
		} finally {
			await server.close();
		}
	});
});
