import { composeMessages } from '../../nodes/PayrollMail/compose/composeMessages';
import { mailError } from '../../nodes/PayrollMail/core/mailError';
import { buildMailResult } from '../../nodes/PayrollMail/result/mailResult';
import type { MessageOutcome } from '../../nodes/PayrollMail/send/delivery';
import { mailRequest } from '../support/mailRequest';

const beat = { name: 'Beat Keller', address: 'beat@example.com' };
const archive = { name: '', address: 'archive@example.com' };

/** An outcome as the dispatcher reports it, for one of the request's messages. */
function outcome(overrides: Partial<MessageOutcome>, part = 0, request = mailRequest({ bcc: [archive] })): MessageOutcome {
	return {
		message: composeMessages(request)[part],
		state: 'sent',
		messageId: '<1@example.com>',
		accepted: [],
		rejected: [],
		attempts: 1,
		...overrides,
	};
}

describe('buildMailResult', () => {
	it('a refused item: failed, its error, nothing sent, the addresses it asked for', () => {
		const refused = mailError('validation', 'EVALIDATION', 'To Email: "x" is not an e-mail address');
		expect(buildMailResult({ refused, request: mailRequest() })).toEqual({
			status: 'failed',
			to: ['anna@example.com'],
			cc: [],
			bcc: [],
			subject: 'Payslip 2026-11',
			messageId: null,
			accepted: [],
			rejected: [],
			response: null,
			batch: null,
			attempts: 0,
			sentAt: null,
			error: { message: 'To Email: "x" is not an e-mail address', code: 'EVALIDATION', permanent: true, stage: 'validation' },
		});
	});

	it('a refused item without a request (a node setting): empty addresses and subject', () => {
		const result = buildMailResult({ refused: mailError('validation', 'ECONFIG', 'Mails per Batch must be ...') });
		expect(result).toMatchObject({ status: 'failed', to: [], cc: [], bcc: [], subject: '' });
	});

	it('a dry run: the planned batch and every address it would have gone to, archive copy included, once', () => {
		const request = mailRequest({ to: [{ name: 'Anna', address: 'anna@example.com' }, beat], bcc: [archive], recipientMode: 'separate' });
		const result = buildMailResult({ request, rehearsed: composeMessages(request).map(({ envelopeTo }, index) => ({ envelopeTo, batch: index + 2 })) });
		expect(result).toMatchObject({ status: 'dryRun', batch: 2, messageId: null, attempts: 0 });
		expect(result.wouldSendTo).toEqual(['anna@example.com', 'archive@example.com', 'beat@example.com']);
	});

	it('a sent mail: its Message-ID, what the server accepted and said, batch, attempts and time', () => {
		const sent = outcome({ accepted: ['anna@example.com', 'archive@example.com'], response: '250 2.0.0 queued', batch: 3, attempts: 2, sentAt: '2026-11-25T08:00:00.000Z' });
		expect(buildMailResult({ request: sent.message.request, messages: [sent] })).toMatchObject({
			status: 'sent',
			messageId: '<1@example.com>',
			accepted: ['anna@example.com', 'archive@example.com'],
			rejected: [],
			response: '250 2.0.0 queued',
			batch: 3,
			attempts: 2,
			sentAt: '2026-11-25T08:00:00.000Z',
		});
	});

	it('a skipped mail keeps the Message-ID and time of the run that sent it; a mail never tried has none', () => {
		const skipped = outcome({ state: 'skipped', attempts: 0, sentAt: '2026-10-25T08:00:00.000Z' });
		expect(buildMailResult({ request: skipped.message.request, messages: [skipped] })).toMatchObject({ status: 'skipped', messageId: '<1@example.com>', sentAt: '2026-10-25T08:00:00.000Z' });
		const untried = outcome({ state: 'failed', attempts: 0, error: mailError('connection', 'ECANCELLED', 'Not sent', { permanent: false }) });
		expect(buildMailResult({ request: untried.message.request, messages: [untried] })).toMatchObject({ status: 'failed', messageId: null, error: { code: 'ECANCELLED' } });
	});

	it('one mail per address: partial when one went and one failed, with each mail summarised', () => {
		const request = mailRequest({ to: [{ name: 'Anna', address: 'anna@example.com' }, beat], recipientMode: 'separate' });
		const refusal = { recipient: 'beat@example.com', response: '550 5.1.1 unknown', responseCode: 550, transient: false };
		const messages = [
			outcome({ accepted: ['anna@example.com'], batch: 1 }, 0, request),
			outcome({ state: 'failed', messageId: '<2@example.com>', rejected: [refusal], batch: 1, error: mailError('envelope', 'EENVELOPE', 'The server refused beat@example.com') }, 1, request),
		];
		const result = buildMailResult({ request, messages });
		expect(result).toMatchObject({ status: 'partial', accepted: ['anna@example.com'], rejected: ['beat@example.com'], error: { code: 'EENVELOPE' } });
		expect(result.messages).toHaveLength(2);
		expect(result.messages?.map((message) => [message.to, message.status, message.messageId])).toEqual([
			[['anna@example.com'], 'sent', '<1@example.com>'],
			[['beat@example.com'], 'failed', '<2@example.com>'],
		]);
	});

	it.each([
		[['skipped', 'skipped'], 'skipped'],
		[['sent', 'skipped'], 'sent'],
		[['sent', 'sent'], 'sent'],
		[['skipped', 'failed'], 'partial'],
		[['partial', 'sent'], 'partial'],
		[['failed', 'failed'], 'failed'],
	] as const)('an item whose mails are %j is %s', (states, status) => {
		const request = mailRequest({ to: [{ name: 'Anna', address: 'anna@example.com' }, beat], recipientMode: 'separate' });
		const messages = states.map((state, part) => outcome({ state, attempts: state === 'skipped' ? 0 : 1 }, part, request));
		expect(buildMailResult({ request, messages }).status).toBe(status);
	});

	it('names the test recipient an item\'s mails went to instead', () => {
		const request = mailRequest({ testRecipient: { name: '', address: 'clerk@example.com' } });
		expect(buildMailResult({ request, messages: [outcome({}, 0, request)] }).testRecipient).toBe('clerk@example.com');
	});
});
