import type { Attachment } from '../../nodes/PayrollMail/compose/attachments';
import type { MailRequest, OutgoingMessage } from '../../nodes/PayrollMail/compose/mailRequest';
import { composeMessages } from '../../nodes/PayrollMail/compose/composeMessages';
import { systemClock } from '../../nodes/PayrollMail/plan/clock';
import { Pacer } from '../../nodes/PayrollMail/plan/pacer';
import { dispatch, type DispatchDependencies } from '../../nodes/PayrollMail/send/dispatcher';
import { readSmtpSettings } from '../../nodes/PayrollMail/transport/smtpSettings';
import { DEFAULT_TUNING, openSmtpTransport } from '../../nodes/PayrollMail/transport/smtpTransport';
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

async function dispatchTo(
	server: TestSmtpServer,
	messages: OutgoingMessage[],
	loadAttachments: DispatchDependencies['loadAttachments'],
	cancel: Pick<DispatchDependencies, 'signal' | 'cancelGraceMs'> = { signal: new AbortController().signal },
) {
	const transport = openSmtpTransport(
		readSmtpSettings({
			host: '127.0.0.1',
			port: server.port,
			connection: 'plaintext',
			authMethod: 'none',
		}),
		DEFAULT_TUNING,
	);
	try {
		return await dispatch(messages, {
			transport,
			pacer: new Pacer({ batchSize: 0, batchWaitMs: 0, mailDelayMs: 0 }, systemClock),
			clock: systemClock,
			loadAttachments,
			includeEml: false,
			maxRetries: 0,
			retryWaitMs: 0,
			parallelConnections: 1,
			...cancel,
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
		server = await TestSmtpServer.start({ tls: 'none', authMethods: [], replyDelayMs: () => 2_000 });
		const controller = new AbortController();
		let cancelledAt = 0;
		const watcher = setInterval(() => {
			if (server.messages.length === 1 && !cancelledAt) {
				cancelledAt = Date.now();
				controller.abort();
			}
		}, 10);
		try {
			const outcomes = await dispatchTo(server, [request(0), request(1)].flatMap(composeMessages), onePdf, {
				signal: controller.signal,
				cancelGraceMs: 200,
			});
			const finishedAt = Date.now();
			expect(finishedAt - cancelledAt).toBeGreaterThanOrEqual(150);
			expect(finishedAt - cancelledAt).toBeLessThan(1_500);
			expect(outcomes.map((outcome) => [outcome.state, outcome.error?.code])).toEqual([
				['failed', 'EOUTCOMEUNKNOWN'],
				['failed', 'ECANCELLED'],
			]);
			expect(outcomes[0].error?.message).toMatch(/may or may not have been delivered/);
			expect(server.messages).toHaveLength(1);
		} finally {
			clearInterval(watcher);
		}
	});
});
