import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Bounce } from '../../nodes/PayrollMailBounces/report/bounce';

/**
 * The corpus: delivery reports written after RFC 3464's examples and the documented formats of
 * Postfix, sendmail, Microsoft 365 / Exchange, Gmail, Exim and qmail (no real mails copied), and
 * mails that are no bounce. Each must land where the table says, read as it is (LF) and as it
 * travels (CRLF).
 */
export const CORPUS = join(__dirname, 'corpus');

type Expected = Pick<Bounce, 'recipient' | 'action' | 'status'> & { diagnostic: RegExp };

export interface CorpusCase {
	file: string;
	/** undefined: not a bounce (Other). */
	bounces?: Expected[];
	mailId?: string;
	messageId?: string;
}

export const CORPUS_CASES: CorpusCase[] = [
	{
		file: 'rfc3464-failed.eml',
		mailId: 'pm.4711.0.0.0a1b2c3d4e5f',
		messageId: '<5f0c6f52-4c43-4d0e-9d5b-3d8d1b8b0a01@company.test>',
		bounces: [{ recipient: 'anna.muster@example.org', action: 'failed', status: '5.1.1', diagnostic: /^550 5\.1\.1 <anna\.muster@example\.org>: Recipient address rejected: User unknown in virtual mailbox table$/ }],
	},
	{
		file: 'rfc3464-several-recipients.eml',
		mailId: 'pm.4711.1.0.1b2c3d4e5f60',
		messageId: '<0b7f6c2e-1d2a-4bb3-8a61-0f3e2d1c9b02@company.test>',
		bounces: [
			{ recipient: 'bruno.beispiel@example.net', action: 'failed', status: '5.1.2', diagnostic: /^550 5\.1\.2 Host unknown/ },
			{ recipient: 'carla.cc@example.net', action: 'failed', status: '5.2.2', diagnostic: /^552 5\.2\.2 Mailbox full$/ },
		],
	},
	{
		file: 'rfc3464-delayed.eml',
		mailId: 'pm.4711.2.0.2c3d4e5f6071',
		messageId: '<2c3d4e5f-aaaa-4bbb-8ccc-000000000003@company.test>',
		bounces: [{ recipient: 'dora.delay@example.com', action: 'delayed', status: '4.4.1', diagnostic: /^connect to mx\.example\.com\[198\.51\.100\.7\]:25: Connection timed out$/ }],
	},
	{
		file: 'microsoft365-ndr.eml',
		mailId: 'pm.4711.3.0.3d4e5f607182',
		messageId: '<3d4e5f60-bbbb-4ccc-8ddd-000000000004@company.test>',
		bounces: [{ recipient: 'erik.ex@contoso.example', action: 'failed', status: '5.1.10', diagnostic: /^550 5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient erik\.ex@contoso\.example not found/ }],
	},
	{
		file: 'exchange-text-ndr.eml',
		mailId: 'pm.4711.4.0.4e5f60718293',
		messageId: '<4e5f6071-cccc-4ddd-8eee-000000000005@company.test>',
		bounces: [{ recipient: 'frieda.fehler@company.test', action: 'failed', status: '5.1.1', diagnostic: /^550 5\.1\.1 RESOLVER\.ADR\.ExRecipNotFound; not found$/ }],
	},
	{
		file: 'gmail-dsn.eml',
		mailId: 'pm.4711.5.0.5f6071829304',
		messageId: '<5f607182-dddd-4eee-8fff-000000000006@company.test>',
		bounces: [
			{
				recipient: 'gustav.gone@gmail.example',
				action: 'failed',
				status: '5.1.1',
				diagnostic: /^550 5\.1\.1 The email account that you tried to reach does not exist\. Please try double-checking the recipient's email address for typos or unnecessary spaces\.$/,
			},
		],
	},
	{
		file: 'gmail-text-failed.eml',
		mailId: 'pm.4711.6.0.607182930415',
		messageId: '<60718293-eeee-4fff-8000-000000000007@company.test>',
		bounces: [{ recipient: 'hanna.hinweg@example.com', action: 'failed', status: '5.1.1', diagnostic: /^550 5\.1\.1 <hanna\.hinweg@example\.com>: Recipient address rejected: User unknown$/ }],
	},
	{
		file: 'gmail-text-delayed.eml',
		mailId: 'pm.4711.7.0.718293041526',
		messageId: '<71829304-ffff-4000-8111-000000000008@company.test>',
		bounces: [{ recipient: 'ida.irgendwo@example.com', action: 'delayed', status: '', diagnostic: /^The recipient server did not accept our requests to connect/ }],
	},
	{
		file: 'exim-failed.eml',
		mailId: 'pm.4711.8.0.829304152637',
		messageId: '<82930415-0000-4111-8222-000000000009@company.test>',
		bounces: [{ recipient: 'jonas.jenseits@example.com', action: 'failed', status: '5.1.1', diagnostic: /^550 5\.1\.1 <jonas\.jenseits@example\.com>: Recipient address rejected: User unknown$/ }],
	},
	{
		file: 'qmail-failure-notice.eml',
		mailId: 'pm.4711.9.0.930415263748',
		messageId: '<93041526-1111-4222-8333-000000000010@company.test>',
		bounces: [{ recipient: 'karl.kaputt@example.net', action: 'failed', status: '5.1.1', diagnostic: /^550 5\.1\.1 <karl\.kaputt@example\.net>\.\.\. User unknown$/ }],
	},
	{ file: 'other-auto-reply.eml' },
	{ file: 'other-read-receipt.eml' },
	{ file: 'other-reply.eml' },
	{ file: 'other-success-dsn.eml' },
	{ file: 'other-postmaster-notice.eml' },
	{ file: 'other-newsletter.eml' },
];

export const corpusMail = (file: string, lineEnd: '\n' | '\r\n' = '\n') =>
	Buffer.from(readFileSync(join(CORPUS, file), 'latin1').replace(/\r?\n/g, lineEnd), 'latin1');
