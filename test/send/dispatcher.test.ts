import type { Attachment } from '../../nodes/PayrollMail/compose/attachments';
import type { MailRequest, OutgoingMessage } from '../../nodes/PayrollMail/compose/mailRequest';
import { composeMessages } from '../../nodes/PayrollMail/compose/composeMessages';
import { systemClock, type Clock } from '../../nodes/PayrollMail/plan/clock';
import { Pacer } from '../../nodes/PayrollMail/plan/pacer';
import { dispatch, type DispatchDependencies } from '../../nodes/PayrollMail/send/dispatcher';
import { readSmtpSettings } from '../../nodes/PayrollMail/transport/smtp/smtpSettings';
import { defaultTuning } from '../../nodes/PayrollMail/input/runSettings';
import { openSmtpTransport } from '../../nodes/PayrollMail/transport/smtp/smtpTransport';
import { mailRequest } from '../support/mailRequest';
import { TestSmtpServer } from '../support/testSmtpServer';

const PDF = Buffer.from('%PDF-1.4\n% payslip\n%%EOF\n');

function request(itemIndex: number): MailRequest {
	return mailRequest({
		itemIndex,
		to: [{ name: '', address: `employee${itemIndex}@example.com` }],
		bcc: [{ name: '', address: 'archive@example.com' }],
	});
}

/** When each item's attachments were asked for, counted in messages the server had by then. */
interface AttachmentRead {
	itemIndex: number;
	messagesAtServer: number;
}

const onePdf = async (): Promise<Attachment[]> => [{ filename: 'payslip.pdf', contentType: 'application/pdf', content: PDF }];

/** The system clock, noting every wait the dispatcher asks of it; `onSleep` sees each as it begins. */
function recordingClock(onSleep: (ms: number) => void = () => undefined): Clock & { sleeps: number[] } {
	const sleeps: number[] = [];
	return {
		sleeps,
		now: () => systemClock.now(),
		async sleep(ms, signal) {
			sleeps.push(ms);
			const sleeping = systemClock.sleep(ms, signal);
			onSleep(ms);
			return sleeping;
		},
	};
}

async function dispatchTo(
	server: TestSmtpServer,
	messages: OutgoingMessage[],
	loadAttachments: DispatchDependencies['loadAttachments'],
	overrides: Partial<DispatchDependencies> = {},
) {
	const transport = openSmtpTransport(
		readSmtpSettings({
			host: '127.0.0.1',
			port: server.port,
			connection: 'plaintext',
			authMethod: 'none',
		}),
		defaultTuning(),
	);
	try {
		return await dispatch(messages, {
			carrier: transport,
			pacer: new Pacer({ batchSize: 0, batchWaitMs: 0, mailDelayMs: 0 }, systemClock),
			clock: systemClock,
			loadAttachments,
			includeEml: false,
			maxRetries: 0,
			retryWaitMs: 0,
			parallelConnections: 1,
			signal: new AbortController().signal,
			...overrides,
		});
	} finally {
		transport.close();
	}
}

describe('dispatch', () => {
	let server: TestSmtpServer;

	beforeEach(async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: [] });
	});

	afterEach(async () => server.close());

	it('reads the next item’s attachments while the current mail is on the wire, and no further ahead', async () => {
		const reads: AttachmentRead[] = [];
		const outcomes = await dispatchTo(
			server,
			[0, 1, 2, 3, 4].flatMap((index) => composeMessages(request(index))),
			async ({ itemIndex }): Promise<Attachment[]> => {
				reads.push({ itemIndex, messagesAtServer: server.messages.length });
				return [
					{
						filename: `payslip-${itemIndex}.pdf`,
						contentType: 'application/pdf',
						content: PDF,
					},
				];
			},
		);

		expect(outcomes.map((outcome) => outcome.state)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
		// Item k is read as mail k-1 goes out, once mail k-2 is at the server: one item ahead.
		expect(reads).toEqual([
			{ itemIndex: 0, messagesAtServer: 0 },
			{ itemIndex: 1, messagesAtServer: 0 },
			{ itemIndex: 2, messagesAtServer: 1 },
			{ itemIndex: 3, messagesAtServer: 2 },
			{ itemIndex: 4, messagesAtServer: 3 },
		]);
	});

	it('asks for each message only as its turn comes near: one ahead per connection, not all before the first mail', async () => {
		const messages = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((index) => composeMessages(request(index)));
		const reached: AttachmentRead[] = [];
		const source = {
			at(index: number) {
				if (index < messages.length && !reached.some((read) => read.itemIndex === index)) {
					reached.push({ itemIndex: index, messagesAtServer: server.messages.length });
				}
				return messages[index];
			},
			messagesOfItem: () => 1,
		};
		const carrier = openSmtpTransport(readSmtpSettings({ host: '127.0.0.1', port: server.port, connection: 'plaintext', authMethod: 'none' }), {
			...defaultTuning(),
			parallelConnections: 2,
		});
		const outcomes = await dispatch(source, {
			carrier,
			pacer: new Pacer({ batchSize: 0, batchWaitMs: 0, mailDelayMs: 0 }, systemClock),
			clock: systemClock,
			loadAttachments: onePdf,
			includeEml: false,
			maxRetries: 0,
			retryWaitMs: 0,
			parallelConnections: 2,
			signal: new AbortController().signal,
		}).finally(() => carrier.close());

		expect(outcomes.map((outcome) => outcome.state)).toEqual(Array(8).fill('sent'));
		// Two connections: at most two mails on the wire and two made ready behind them.
		for (const { itemIndex, messagesAtServer } of reached) expect(itemIndex).toBeLessThan(messagesAtServer + 4);
		expect(reached.find((read) => read.itemIndex === 7)?.messagesAtServer).toBeGreaterThan(0);
	});

	it('reads an item once for all its messages, and reports a read that failed ahead on its own item only', async () => {
		const reads: number[] = [];
		const separate = {
			...request(1),
			recipientMode: 'separate' as const,
			to: [
				{ name: '', address: 'a@example.com' },
				{ name: '', address: 'b@example.com' },
			],
		};
		const outcomes = await dispatchTo(
			server,
			[request(0), separate, request(2)].flatMap(composeMessages),
			async ({ itemIndex }): Promise<Attachment[]> => {
				reads.push(itemIndex);
				if (itemIndex === 2) throw new Error('The item has no binary property "data" to attach');
				return [
					{
						filename: 'payslip.pdf',
						contentType: 'application/pdf',
						content: PDF,
					},
				];
			},
		);

		expect(reads).toEqual([0, 1, 2]);
		expect(outcomes.map((outcome) => [outcome.message.request.itemIndex, outcome.state])).toEqual([
			[0, 'sent'],
			[1, 'sent'],
			[1, 'sent'],
			[2, 'failed'],
		]);
		expect(outcomes[3].error).toMatchObject({
			stage: 'attachment',
			message: expect.stringContaining('no binary property "data"'),
		});
		expect(server.messages).toHaveLength(3);
	});

	it('gives up on a mail a grace period after a cancel, as one that may or may not have been delivered', async () => {
		await server.close();
		const controller = new AbortController();
		let cancelledAt = 0;
		// Cancelled the moment the server has read the first mail, whose 250 it holds for 2 s.
		server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: [],
			replyDelayMs: (data) => {
				if (data === 1) {
					cancelledAt = Date.now();
					controller.abort();
				}
				return 2_000;
			},
		});
		const outcomes = await dispatchTo(server, [request(0), request(1)].flatMap(composeMessages), onePdf, {
			signal: controller.signal,
			cancelGraceMs: 200,
		});
		const finishedAt = Date.now();
		expect(cancelledAt).toBeGreaterThan(0);
		// A timer never fires early: not before the grace; and not for the held reply either.
		expect(finishedAt - cancelledAt).toBeGreaterThanOrEqual(190);
		expect(finishedAt - cancelledAt).toBeLessThan(1_800);
		expect(outcomes.map((outcome) => [outcome.state, outcome.error?.code])).toEqual([
			['failed', 'EOUTCOMEUNKNOWN'],
			['failed', 'ECANCELLED'],
		]);
		expect(outcomes[0].error?.message).toMatch(/may or may not have been delivered/);
		expect(server.messages).toHaveLength(1);
	});
});

describe('dispatch: retries', () => {
	let server: TestSmtpServer;
	let refusals: number;
	beforeEach(async () => {
		refusals = 0;
		// employee0 is greylisted for good; everyone else is taken at once.
		server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: [],
			refuseRecipient: (address) =>
				address === 'employee0@example.com' ? (refusals++, { code: 451, text: '4.7.1 Greylisted, try again later' }) : undefined,
		});
	});
	afterEach(async () => server.close());

	it('waits Retry Wait before the first retry and twice as long before each further one', async () => {
		const clock = recordingClock();
		const outcomes = await dispatchTo(server, [request(0), request(1)].flatMap(composeMessages), onePdf, {
			clock,
			maxRetries: 3,
			retryWaitMs: 20,
		});
		expect(clock.sleeps).toEqual([20, 40, 80]);
		expect(refusals).toBe(4);
		// Only the archive copy got through: the employee's mail failed.
		expect(outcomes.map((outcome) => [outcome.state, outcome.attempts])).toEqual([
			['failed', 4],
			['sent', 1],
		]);
		expect(outcomes[0].accepted).toEqual(['archive@example.com']);
		expect(outcomes[0].rejected.map((refusal) => refusal.recipient)).toEqual(['employee0@example.com']);
	});

	it('stops at once when the execution is cancelled during a retry wait', async () => {
		const controller = new AbortController();
		const RETRY_WAIT_MS = 30_000;
		let cancelledAt = 0;
		const clock = recordingClock((ms) => {
			if (ms === RETRY_WAIT_MS && !cancelledAt) {
				cancelledAt = Date.now();
				controller.abort();
			}
		});
		const outcomes = await dispatchTo(server, [request(0), request(1)].flatMap(composeMessages), onePdf, {
			clock,
			maxRetries: 2,
			retryWaitMs: RETRY_WAIT_MS,
			signal: controller.signal,
		});
		const finishedAt = Date.now();
		expect(clock.sleeps[0]).toBe(RETRY_WAIT_MS);
		expect(cancelledAt).toBeGreaterThan(0);
		// Not the 30 s the wait would have lasted.
		expect(finishedAt - cancelledAt).toBeLessThan(5_000);
		expect(refusals).toBe(1);
		expect(outcomes.map((outcome) => [outcome.state, outcome.error?.code, outcome.attempts])).toEqual([
			['failed', 'ECANCELLED', 1],
			['failed', 'ECANCELLED', 0],
		]);
		expect(server.messages.map((message) => message.to)).toEqual([['archive@example.com']]);
	});
});

describe('dispatch: a fault of its own after a mail went out', () => {
	it('is reported on that mail alone; dispatch never throws, and the next mail still goes out', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: [] });
		try {
			const outcomes = await dispatchTo(server, [0, 1, 2].flatMap((index) => composeMessages(request(index))), async ({ itemIndex }) => {
				const [pdf] = await onePdf();
				if (itemIndex !== 1) return [pdf];
				// An attachment that throws when read: a fault no stage expects.
				return [
					Object.defineProperty({ ...pdf }, 'content', {
						get() {
							throw new TypeError('Cannot read the attachment');
						},
					}),
				];
			});
			expect(outcomes.map((outcome) => outcome.state)).toEqual(['sent', 'failed', 'sent']);
			expect(outcomes[1].error).toMatchObject({ code: 'EUNKNOWN', message: 'Sending failed: Cannot read the attachment' });
			expect(server.messages.map((message) => message.to[0])).toEqual(['employee0@example.com', 'employee2@example.com']);
		} finally {
			await server.close();
		}
	});
});
