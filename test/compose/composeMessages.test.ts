import type { Mailbox } from '../../nodes/PayrollMail/compose/addresses';
import { composeMessages } from '../../nodes/PayrollMail/compose/composeMessages';
import type { MailRequest, OutgoingMessage } from '../../nodes/PayrollMail/compose/mailRequest';
import { mailRequest } from '../support/mailRequest';

const anna: Mailbox = { name: 'Anna Muster', address: 'anna@example.com' };
const annaPrivate: Mailbox = { name: '', address: 'anna.muster@private.example' };
const beat: Mailbox = { name: 'Beat Keller', address: 'beat@example.com' };
const hr: Mailbox = { name: 'HR', address: 'hr@example.com' };
const archive: Mailbox = { name: '', address: 'archive@example.com' };
const tester: Mailbox = { name: 'Test', address: 'test@example.com' };

const request = (overrides: Partial<MailRequest> = {}) => mailRequest({ to: [anna], ...overrides });

const addresses = (mailboxes: Mailbox[]) => mailboxes.map((mailbox) => mailbox.address);
const headerAddresses = (message: OutgoingMessage) => addresses([...message.to, ...message.cc]);

describe('composeMessages, together', () => {
	it('makes one message to every To address of the item', () => {
		const messages = composeMessages(request({ to: [anna, annaPrivate] }));
		expect(messages).toHaveLength(1);
		expect(messages[0].to).toEqual([anna, annaPrivate]);
		expect(messages[0].envelopeTo).toEqual([anna.address, annaPrivate.address]);
	});

	it('keeps the request and numbers the message 0', () => {
		const itemRequest = request();
		const [message] = composeMessages(itemRequest);
		expect(message.request).toBe(itemRequest);
		expect(message.part).toBe(0);
	});

	it('puts Cc in the headers and the envelope', () => {
		const [message] = composeMessages(request({ cc: [hr] }));
		expect(message.cc).toEqual([hr]);
		expect(message.envelopeTo).toEqual([anna.address, hr.address]);
	});

	it('puts the archive copy in the envelope only, never in To or Cc', () => {
		const [message] = composeMessages(request({ cc: [hr], bcc: [archive] }));
		expect(message.envelopeTo).toContain(archive.address);
		expect(headerAddresses(message)).not.toContain(archive.address);
	});

	it('asks the server to deliver to each address once, however often it is named', () => {
		const [message] = composeMessages(request({ to: [anna, anna], cc: [anna, hr], bcc: [hr, archive] }));
		expect(message.envelopeTo).toEqual([anna.address, hr.address, archive.address]);
	});
});

describe('composeMessages, separate', () => {
	const item = request({ recipientMode: 'separate', to: [anna, annaPrivate, beat], cc: [hr], bcc: [archive] });
	const messages = composeMessages(item);

	it('makes one message per To address, in order, numbered from 0', () => {
		expect(messages.map((message) => addresses(message.to))).toEqual([
			[anna.address],
			[annaPrivate.address],
			[beat.address],
		]);
		expect(messages.map((message) => message.part)).toEqual([0, 1, 2]);
		expect(messages.every((message) => message.request === item)).toBe(true);
	});

	it('shows each recipient only their own address, in the headers and in the envelope', () => {
		for (const [position, own] of [anna, annaPrivate, beat].entries()) {
			const others = [anna, annaPrivate, beat].filter((mailbox) => mailbox !== own).map((mailbox) => mailbox.address);
			const message = messages[position];
			expect(message.to).toEqual([own]);
			for (const other of others) {
				expect(headerAddresses(message)).not.toContain(other);
				expect(message.envelopeTo).not.toContain(other);
			}
		}
	});

	it('copies Cc onto every message', () => {
		expect(messages.map((message) => message.cc)).toEqual([[hr], [hr], [hr]]);
	});

	it('sends the archive copy of every message, in the envelope only', () => {
		for (const message of messages) {
			expect(message.envelopeTo).toEqual([message.to[0].address, hr.address, archive.address]);
			expect(headerAddresses(message)).not.toContain(archive.address);
		}
	});

	it('asks the server to deliver to each address once per message', () => {
		const [message] = composeMessages(request({ recipientMode: 'separate', to: [hr], cc: [hr], bcc: [hr] }));
		expect(message.envelopeTo).toEqual([hr.address]);
	});
});

describe('composeMessages with a test recipient', () => {
	it.each(['together', 'separate'] as const)(
		'sends every %s message to the test address alone: no To, Cc or archive copy',
		(recipientMode) => {
			const messages = composeMessages(
				request({ recipientMode, to: [anna, beat], cc: [hr], bcc: [archive], testRecipient: tester }),
			);
			expect(messages).toHaveLength(recipientMode === 'separate' ? 2 : 1);
			for (const message of messages) {
				expect(message.to).toEqual([tester]);
				expect(message.cc).toEqual([]);
				expect(message.envelopeTo).toEqual([tester.address]);
			}
		},
	);

	it('keeps the original recipients on the request, for the result to name them', () => {
		const item = request({ to: [anna], cc: [hr], bcc: [archive], testRecipient: tester });
		const [message] = composeMessages(item);
		expect(message.request.to).toEqual([anna]);
		expect(message.request.cc).toEqual([hr]);
		expect(message.request.bcc).toEqual([archive]);
	});
});
