import { simpleParser } from 'mailparser';
import type { IDataObject } from 'n8n-workflow';

import type { HarnessItem } from '../harness';
import { CORPUS_CASES, corpusMail } from '../bounces/corpusCases';
import { TestPostgres } from '../support/postgres';
import { TestSmtpServer } from '../support/testSmtpServer';
import { rawItem, runBounces } from './bouncesRun';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * A received mail as n8n's Email Trigger (IMAP) gives it in its default ("resolved") format: made
 * the way that node makes it (mailparser's simpleParser; each header's whole line under its name;
 * the attachments as binary fields attachment_0, attachment_1, …; the JSON made JSON-safe).
 */
async function emailTriggerItem(raw: Buffer): Promise<HarnessItem> {
	const parsed = await simpleParser(raw);
	const headers: IDataObject = {};
	for (const header of parsed.headerLines) headers[header.key] = header.line;
	const binary = Object.fromEntries(
		parsed.attachments.map((attachment, index) => [
			`attachment_${index}`,
			{ data: attachment.content, fileName: attachment.filename ?? `attachment_${index}`, mimeType: attachment.contentType },
		]),
	);
	const json = JSON.parse(JSON.stringify({ ...parsed, headers, headerLines: undefined, attachments: undefined })) as IDataObject;
	return { json, binary };
}

describe('Payroll Mail Bounces in n8n', () => {
	describe.each([
		['raw messages in a binary field', async (raw: Buffer) => rawItem(raw)],
		["n8n's Email Trigger form", emailTriggerItem],
	])('from %s', (_form, toItem) => {
		it('puts every corpus mail where the table says: one Bounced item per failed or delayed recipient, the others untouched on Other', async () => {
			const items = await Promise.all(CORPUS_CASES.map(async ({ file }) => toItem(corpusMail(file))));
			const result = await runBounces(items);
			expect(result.error).toBeUndefined();
			const [bounced, other] = result.outputs;

			const expectedBounced = CORPUS_CASES.flatMap((row, item) =>
				(row.bounces ?? []).map((bounce) => ({ item, recipient: bounce.recipient, action: bounce.action, status: bounce.status, mailId: row.mailId, messageId: row.messageId })),
			);
			expect(bounced.map(({ json, pairedItem }) => ({ item: (pairedItem as { item: number }).item, recipient: json.recipient, action: json.action, status: json.status, mailId: json.mailId, messageId: json.messageId }))).toEqual(expectedBounced);
			for (const item of bounced) {
				const row = CORPUS_CASES[(item.pairedItem as { item: number }).item];
				const expected = row.bounces!.find((bounce) => bounce.recipient === item.json.recipient)!;
				expect(item.json.diagnostic).toMatch(expected.diagnostic);
				expect(item.json).toMatchObject({ subject: 'Your payslip for 2026-11', execution: '4711', itemIndex: expect.any(Number) });
			}

			const otherRows = CORPUS_CASES.flatMap((row, item) => (row.bounces ? [] : [item]));
			expect(other.map((item) => (item.pairedItem as { item: number }).item)).toEqual(otherRows);
			other.forEach((item, index) => expect(item.json).toEqual(items[otherRows[index]].json));
			expect(other.every((item, index) => Object.keys(item.binary ?? {}).join() === Object.keys(items[otherRows[index]].binary ?? {}).join())).toBe(true);
		});
	});
});

describe('Payroll Mail Bounces with the send journal in PostgreSQL', () => {
	let postgres: TestPostgres;
	let server: TestSmtpServer;

	beforeAll(async () => {
		postgres = await TestPostgres.start();
		server = await TestSmtpServer.start({ tls: 'none', offerDsn: true, users: { [SMTP_USER]: SMTP_PASSWORD } });
	});
	afterAll(async () => {
		await server?.close();
		await postgres?.stop();
	});

	it('names the item\'s key and the run of a bounced payslip, and marks its row', async () => {
		const staff = employees(3);
		const options = { skipAlreadySent: true, idempotencyKey: '={{ $json.email }}-{{ $json.period }}', ledgerStore: 'postgres', ledgerTable: 'bounce_journal' };
		const sent = await runPayrollMail({
			server,
			items: employeeItems(staff),
			parameters: clerkParameters({ options }),
			moreCredentials: { postgres: postgres.credential() },
			executionId: '900',
		});
		expect(sent.error).toBeUndefined();
		const second = mailOf(sent.outputs[0][1]);
		const report = dsnFor(String(second.mailId), String(second.messageId), staff[1].email);

		const result = await runBounces([rawItem(report)], { useJournal: true, journalTable: 'bounce_journal' }, postgres);
		expect(result.error).toBeUndefined();
		expect(result.outputs[0].map((item) => item.json)).toEqual([
			expect.objectContaining({
				recipient: staff[1].email,
				action: 'failed',
				status: '5.1.1',
				diagnostic: '550 5.1.1 no such user',
				mailId: second.mailId,
				messageId: second.messageId,
				execution: '900',
				itemIndex: 1,
				inJournal: true,
				idempotencyKey: `${staff[1].email}-2026-11`,
				recipients: [staff[1].email],
				workflowId: 'harness-workflow',
			}),
		]);
		const rows = await postgres.query<IDataObject>('SELECT recipients, bounce_recipient, bounce_action, bounce_status, bounce_diagnostic, bounced_at FROM bounce_journal ORDER BY claimed_at');
		expect(rows.map((row) => row.bounce_status)).toEqual([null, '5.1.1', null]);
		expect(rows[1]).toMatchObject({ bounce_recipient: staff[1].email, bounce_action: 'failed', bounce_diagnostic: '550 5.1.1 no such user', bounced_at: expect.any(Date) });

		// A delay reported after the failure does not hide it.
		await runBounces([rawItem(dsnFor(String(second.mailId), '', staff[1].email, 'delayed'))], { useJournal: true, journalTable: 'bounce_journal' }, postgres);
		const [after] = await postgres.query<IDataObject>(`SELECT bounce_action FROM bounce_journal WHERE mail_id = '${String(second.mailId)}'`);
		expect(after.bounce_action).toBe('failed');
	});
});

/** A standard report on one recipient of a mail, as an MTA writes it. */
function dsnFor(mailId: string, messageId: string, recipient: string, action: 'failed' | 'delayed' = 'failed'): Buffer {
	const status = action === 'failed' ? '5.1.1' : '4.4.1';
	const words = action === 'failed' ? '550 5.1.1 no such user' : '451 4.4.1 try again later';
	return Buffer.from(
		[
			'From: MAILER-DAEMON@relay.example.com',
			'To: payroll@example.com',
			'Subject: Undelivered Mail Returned to Sender',
			'MIME-Version: 1.0',
			'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
			'',
			'--R',
			'Content-Type: text/plain',
			'',
			'Your message could not be delivered.',
			'',
			'--R',
			'Content-Type: message/delivery-status',
			'',
			'Reporting-MTA: dns; relay.example.com',
			`Original-Envelope-Id: ${mailId}`,
			'',
			`Final-Recipient: rfc822; ${recipient}`,
			`Action: ${action}`,
			`Status: ${status}`,
			`Diagnostic-Code: smtp; ${words}`,
			'',
			'--R',
			'Content-Type: text/rfc822-headers',
			'',
			...(messageId ? [`Message-ID: ${messageId}`] : []),
			'Subject: Your payslip for 2026-11',
			'',
			'--R--',
			'',
		].join('\r\n'),
	);
}
