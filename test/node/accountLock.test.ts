import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { captureLogs } from '../harness/logCapture';
import { TestSmtpServer, type TestServerOptions } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * One sender per account inside one n8n process (n8n's regular mode, the default store): a
 * second execution sending from the same account waits for the first, keeps the batch wait after
 * the first's last mail, gives up after Wait for Busy Account, and stops at once when cancelled.
 * Across processes (the PostgreSQL advisory lock) see postgresWorkers.test.ts.
 */
let server: TestSmtpServer;
afterEach(async () => server?.close());

async function startServer(options: TestServerOptions = {}): Promise<TestSmtpServer> {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD }, ...options });
	return server;
}

const PACED = clerkParameters({ batchSize: 2, batchWait: 0.5 });
const statuses = (outputs: INodeExecutionData[][]) => outputs.flat().map((item) => (mailOf(item).error as IDataObject | undefined)?.code ?? mailOf(item).status);
type Run = ReturnType<typeof runPayrollMail>;

/** Mails in a row with less than `gapMs` between two arrivals: what the provider sees as one batch. */
function windows(gapMs: number): number[] {
	const arrivals = server.messages.map((message) => message.arrivedAt);
	const sizes: number[] = [];
	arrivals.forEach((arrival, index) => {
		if (index === 0 || arrival - arrivals[index - 1] >= gapMs) sizes.push(0);
		sizes[sizes.length - 1] += 1;
	});
	return sizes;
}

describe('two executions sending from one account in one n8n process', () => {
	it('the second waits for the first and keeps the batch wait after the first\'s last mail', async () => {
		const staff = employees(10);
		let second: Run | undefined;
		await startServer({
			onMessageEvent: (seen, message) => {
				if (seen === 'accepted' && message === 2) second ??= runPayrollMail({ server, items: employeeItems(staff.slice(6)), parameters: PACED });
			},
		});
		const { result: first, logs } = await captureLogs(async () => {
			const run = await runPayrollMail({ server, items: employeeItems(staff.slice(0, 6)), parameters: PACED });
			await second;
			return run;
		});
		const later = await second!;
		expect([...statuses(first.outputs), ...statuses(later.outputs)]).toEqual(Array(10).fill('sent'));
		expect(server.messages.map((message) => message.to[0])).toEqual(staff.map((employee) => employee.email));
		// Batches of 2, each at least the 0.5 s wait after the one before, whichever execution sent it.
		expect(windows(500)).toEqual([2, 2, 2, 2, 2]);
		expect(logs.filter((line) => /Payroll Mail: smtp:payroll@example\.com@127\.0\.0\.1:\d+ is busy \(execution \d+ sends from it\); waiting up to 3600 s/.test(line))).toHaveLength(1);
	});

	it('a second execution whose wait runs out sends nothing and says who holds the account', async () => {
		const second = started();
		await startServer({
			// The first execution's mail waits 3 s for its 250: the account stays busy meanwhile.
			replyDelayMs: (data) => (data === 1 ? 3_000 : 0),
			onMessageEvent: (seen, message) => {
				if (seen === 'dataComplete' && message === 1) {
					second.start(runPayrollMail({ server, items: employeeItems(employees(3)), parameters: clerkParameters({ options: { accountWait: 0.2 } }) }));
				}
			},
		});
		const first = runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters() });
		const refused = await (await second.run);
		expect(server.messages).toHaveLength(1);
		expect(refused.outputs[0]).toHaveLength(0);
		expect(refused.outputs[1].map((item) => mailOf(item).error)).toEqual(
			Array(3).fill(
				expect.objectContaining({
					code: 'EACCOUNTBUSY',
					stage: 'connection',
					permanent: false,
					message: expect.stringMatching(/^Not sent: another execution \(execution \d+\) was sending from .* for the whole 0\.2 s/),
				}),
			),
		);
		expect(statuses((await first).outputs)).toEqual(['sent']);
	});

	it('a second execution cancelled while it waits stops at once, nothing of it sent', async () => {
		const stop = new AbortController();
		const second = started();
		let firstConfirmedAt = 0;
		await startServer({
			replyDelayMs: (data) => (data === 1 ? 3_000 : 0),
			onMessageEvent: (seen, message) => {
				if (seen === 'accepted' && message === 1) firstConfirmedAt = Date.now();
				if (seen === 'dataComplete' && message === 1) {
					second.start(runPayrollMail({ server, items: employeeItems(employees(3)), parameters: clerkParameters(), signal: stop.signal }));
				}
			},
		});
		const { result } = await captureLogs(
			async () => {
				const first = runPayrollMail({ server, items: employeeItems(employees(1)), parameters: clerkParameters() });
				const cancelled = await (await second.run);
				const cancelledAt = Date.now();
				await first;
				return { cancelled, cancelledAt };
			},
			// Cancelled the moment it says it waits.
			(line) => line.includes('is busy') && stop.abort(),
		);
		expect(stop.signal.aborted).toBe(true);
		expect(statuses(result.cancelled.outputs)).toEqual(['ECANCELLED', 'ECANCELLED', 'ECANCELLED']);
		expect(server.messages).toHaveLength(1);
		// Ended while the first still held the account, not when it let go.
		expect(result.cancelledAt).toBeLessThan(firstConfirmedAt);
	});
});

/** A run started from a server event, and the promise of it. */
function started(): { start(run: Run): void; run: Promise<Run> } {
	let start!: (run: Run) => void;
	const run = new Promise<Run>((resolve) => (start = resolve));
	let once = false;
	return {
		start: (value) => {
			if (once) return;
			once = true;
			start(value);
		},
		run,
	};
}
