import { readdirSync } from 'node:fs';

import { readRawMail } from '../../nodes/PayrollMailBounces/read/mimeMessage';
import { readBounce } from '../../nodes/PayrollMailBounces/report/readBounce';
import { CORPUS, CORPUS_CASES, corpusMail } from './corpusCases';

describe('the bounce corpus', () => {
	it('has a row for every file and a file for every row', () => {
		expect(readdirSync(CORPUS).sort()).toEqual(CORPUS_CASES.map((row) => row.file).sort());
		expect(CORPUS_CASES.filter((row) => row.bounces).length).toBeGreaterThanOrEqual(10);
		expect(CORPUS_CASES.filter((row) => !row.bounces).length).toBeGreaterThanOrEqual(6);
	});

	describe.each(['\n', '\r\n'] as const)('with line ends %j', (lineEnd) => {
		it.each(CORPUS_CASES)('$file', ({ file, bounces, mailId, messageId }) => {
			const report = readBounce(readRawMail(corpusMail(file, lineEnd)));
			if (!bounces) {
				expect(report).toBeUndefined();
				return;
			}
			expect(report?.mail).toMatchObject({ mailId, messageId, subject: 'Your payslip for 2026-11' });
			expect(report!.bounces.map(({ recipient, action, status }) => ({ recipient, action, status }))).toEqual(
				bounces.map(({ recipient, action, status }) => ({ recipient, action, status })),
			);
			report!.bounces.forEach((bounce, index) => expect(bounce.diagnostic).toMatch(bounces[index].diagnostic));
			expect(report!.bounces.every((bounce) => bounce.reportingMta.length > 0)).toBe(true);
		});
	});
});

describe('mails made to be hard to read', () => {
	it('reads a daemon\'s report with a megabyte of address characters and no blank line without going slow', () => {
		const filler = 'a.b-c_d'.repeat(150_000);
		const raw = Buffer.from(
			`From: MAILER-DAEMON@relay.example\r\nSubject: Undelivered Mail\r\n\r\nDelivery to the following recipient failed permanently:\r\n${filler}\r\n${filler}@\r\n`,
		);
		const started = process.hrtime.bigint();
		readBounce(readRawMail(raw));
		// Linear work takes milliseconds; a pattern that backtracks over the text would take hours.
		expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
	});

	it('stops at nesting no report has', () => {
		const depth = 5_000;
		const open = Array.from({ length: depth }, (_, level) => `Content-Type: multipart/mixed; boundary="b${level}"\r\n\r\n--b${level}\r\n`).join('');
		const raw = Buffer.from(`From: MAILER-DAEMON@relay.example\r\n${open}Content-Type: text/plain\r\n\r\nhello\r\n`);
		expect(readBounce(readRawMail(raw))).toBeUndefined();
	});
});
