import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';

import { encryptPdf, PdfEncryptionError } from '../../nodes/PayrollMail/compose/encryptPdf';

// The encrypted files are checked with the real qpdf (Debian package qpdf), an independent PDF
// implementation: what it opens, every PDF reader opens. `npm test` installs it
// (test/system/provision.sh); without it these tests fail, they never skip.
const QPDF = process.env.QPDF ?? 'qpdf';

const PASSWORD = 'Grüezi-2026!';
const PAYSLIP_TEXT = 'Payslip of Anna Muster';

let work: string;
beforeAll(() => {
	work = mkdtempSync(join(tmpdir(), 'encrypt-pdf-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fileCount = 0;
function file(bytes: Uint8Array, name = 'file'): string {
	const path = join(work, `${++fileCount}-${name}.pdf`);
	writeFileSync(path, bytes);
	return path;
}

interface QpdfRun {
	status: number | null;
	stdout: string;
	stderr: string;
}
function qpdf(...args: string[]): QpdfRun {
	const run = spawnSync(QPDF, args, { encoding: 'latin1' });
	return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
/** qpdf exits 0 when all is well and 3 when it succeeded with warnings; a warning fails here. */
function qpdfClean(...args: string[]): string {
	const run = qpdf(...args);
	if (run.status !== 0) throw new Error(`qpdf ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
	return run.stdout;
}

/** The decoded content streams of every page, as qpdf reads them (with the password, if given). */
function pageContents(path: string, password?: string): string[] {
	const pw = password === undefined ? [] : [`--password=${password}`];
	const json = JSON.parse(qpdfClean(...pw, '--json', '--json-key=pages', path)) as {
		pages: Array<{ contents: string[] }>;
	};
	return json.pages.map((page) =>
		page.contents
			.map((ref) => qpdfClean(...pw, `--show-object=${ref.split(' ')[0]}`, '--filtered-stream-data', path))
			.join(''),
	);
}

/** The decrypted file rewritten by qpdf with every object in clear text, for reading. */
function decryptedQdf(path: string, password: string): string {
	const out = join(work, `${++fileCount}-qdf.pdf`);
	qpdfClean(`--password=${password}`, '--decrypt', '--qdf', '--object-streams=disable', path, out);
	return readFileSync(out, 'latin1');
}

async function payslip(pages = 1): Promise<Buffer> {
	const doc = await PDFDocument.create();
	doc.setTitle(PAYSLIP_TEXT);
	const font = await doc.embedFont(StandardFonts.Helvetica);
	for (let n = 1; n <= pages; n++) {
		const page = doc.addPage([595, 842]);
		page.drawText(PAYSLIP_TEXT, { x: 50, y: 780, size: 18, font });
		page.drawText(`November 2026 - page ${n} - net salary CHF 5'432.10`, { x: 50, y: 740, size: 11, font });
	}
	return Buffer.from(await doc.save());
}

/**
 * A hand-written PDF 1.4 with a classic xref table, as older payroll and ERP programs write them:
 * an uncompressed content stream, the catalog's /Lang, a string in a page dictionary and in a
 * stream dictionary, and an Info dictionary with generation 1. @cantoo/pdf-lib writes all of
 * those outside object streams, where it does not encrypt strings by itself.
 */
function classicPdf(): Buffer {
	const content = `BT /F1 18 Tf 50 780 Td (${PAYSLIP_TEXT}) Tj ET\n`;
	const objects: Array<[string, string]> = [
		['1 0', '<< /Type /Catalog /Pages 2 0 R /Lang (de-CH) >>'],
		['2 0', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'],
		[
			'3 0',
			'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R ' +
				'/Resources << /Font << /F1 5 0 R >> >> /PZ 1 /Employee (Anna Muster, No. 4711) >>',
		],
		['4 0', `<< /Length ${Buffer.byteLength(content)} /Note (content of Anna Muster) >>\nstream\n${content}endstream`],
		['5 0', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'],
		['6 1', `<< /Title (${PAYSLIP_TEXT}) /Author (Payroll, Anna Muster) >>`],
	];
	let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
	const offsets = new Map<number, string>();
	for (const [id, body] of objects) {
		offsets.set(Number(id.split(' ')[0]), `${String(Buffer.byteLength(pdf, 'latin1')).padStart(10, '0')} ${id.split(' ')[1].padStart(5, '0')} n \n`);
		pdf += `${id} obj\n${body}\nendobj\n`;
	}
	const xrefAt = Buffer.byteLength(pdf, 'latin1');
	pdf += `xref\n0 7\n0000000000 65535 f \n`;
	for (let n = 1; n <= 6; n++) pdf += offsets.get(n);
	pdf += `trailer\n<< /Size 7 /Root 1 0 R /Info 6 1 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
	return Buffer.from(pdf, 'latin1');
}

it('finds qpdf (install it with test/system/provision.sh, or set QPDF to its path)', () => {
	const version = spawnSync(QPDF, ['--version'], { encoding: 'utf8' });
	expect({ error: version.error?.message, status: version.status }).toEqual({ error: undefined, status: 0 });
	expect(version.stdout).toMatch(/^qpdf version \d+\.\d+/);
});

describe('encryptPdf, checked with qpdf', () => {
	let plain: Buffer;
	let encrypted: Buffer;
	let encryptedPath: string;
	beforeAll(async () => {
		plain = await payslip(2);
		encrypted = await encryptPdf(plain, PASSWORD);
		encryptedPath = file(encrypted, 'payslip-encrypted');
	});

	it('encrypts with AES-256, security handler revision 6, the password being the user password', () => {
		const report = qpdfClean('--show-encryption', `--password=${PASSWORD}`, encryptedPath);
		expect(report).toMatch(/^R = 6$/m);
		expect(report).toContain('stream encryption method: AESv3');
		expect(report).toContain('string encryption method: AESv3');
		expect(report).toContain('file encryption method: AESv3');
		// qpdf says "owner password" if the password also opened the owner side: it must not.
		expect(report).toContain('Supplied password is user password');
		expect(report).not.toContain('Supplied password is owner password');
	});

	it('allows printing (low and high resolution) and no changes', () => {
		const report = qpdfClean('--show-encryption', `--password=${PASSWORD}`, encryptedPath);
		expect(report).toContain('print low resolution: allowed');
		expect(report).toContain('print high resolution: allowed');
		for (const change of ['modify document assembly', 'modify forms', 'modify annotations', 'modify other', 'modify anything']) {
			expect(report).toContain(`${change}: not allowed`);
		}
		expect(report).toContain('extract for any purpose: not allowed');
	});

	it('decrypts with the password, with no warnings, to the same pages and the same page content', () => {
		const out = join(work, 'decrypted.pdf');
		const run = qpdf(`--password=${PASSWORD}`, '--decrypt', encryptedPath, out);
		expect(run).toMatchObject({ status: 0, stderr: '' });
		expect(qpdfClean('--show-npages', out).trim()).toBe('2');
		const original = pageContents(file(plain, 'payslip-plain'));
		expect(pageContents(encryptedPath, PASSWORD)).toEqual(original);
		expect(pageContents(out)).toEqual(original);
		expect(original[0]).toMatch(/Tj/);
		expect(qpdfClean(`--password=${PASSWORD}`, '--check', encryptedPath)).toContain('No syntax or stream encoding errors');
	});

	it('keeps the text and the document title readable after decryption', () => {
		const qdf = decryptedQdf(encryptedPath, PASSWORD);
		expect(qdf).toContain(`(${PAYSLIP_TEXT}) Tj`);
		const utf16Title = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(PAYSLIP_TEXT, 'utf16le').swap16()]);
		expect(qdf).toContain(`/Title <${utf16Title.toString('hex')}>`);
	});

	it.each([
		['no password', []],
		['a wrong password', ['--password=Gruezi-2026!']],
		['the empty password', ['--password=']],
	])('refuses to decrypt with %s ("invalid password")', (_name, pw) => {
		const run = qpdf(...pw, '--decrypt', encryptedPath, join(work, 'never.pdf'));
		expect(run.status).not.toBe(0);
		expect(run.stderr).toContain('invalid password');
	});

	it('leaves the password nowhere in the file, in any encoding', () => {
		for (const form of [
			Buffer.from(PASSWORD, 'utf8'),
			Buffer.from(PASSWORD, 'latin1'),
			Buffer.from(PASSWORD, 'utf16le'),
			Buffer.from(PASSWORD, 'utf16le').swap16(),
			Buffer.from(Buffer.from(PASSWORD, 'utf8').toString('hex')),
			Buffer.from(Buffer.from(PASSWORD, 'utf8').toString('hex').toUpperCase()),
		]) {
			expect(encrypted.includes(form)).toBe(false);
		}
	});

	it('encrypts every file differently (fresh keys, salts and owner password each time)', async () => {
		const again = await encryptPdf(plain, PASSWORD);
		expect(again.equals(encrypted)).toBe(false);
		expect(pageContents(file(again), PASSWORD)).toEqual(pageContents(encryptedPath, PASSWORD));
	});

	it('does not change the input buffer', async () => {
		const copy = Buffer.from(plain);
		await encryptPdf(plain, PASSWORD);
		expect(plain.equals(copy)).toBe(true);
	});

	it('opens with a decomposed or a composed spelling of the same password (NFKC, as SASLprep)', async () => {
		const decomposed = PASSWORD.normalize('NFD');
		expect(decomposed).not.toBe(PASSWORD);
		const path = file(await encryptPdf(plain, decomposed));
		expect(qpdf(`--password=${PASSWORD}`, '--decrypt', path, join(work, 'nfd.pdf')).status).toBe(0);
	});

	describe('a classic PDF 1.4 with strings outside object streams', () => {
		let classic: Buffer;
		let path: string;
		beforeAll(async () => {
			classic = classicPdf();
			qpdfClean('--check', file(classic, 'classic-plain'));
			path = file(await encryptPdf(classic, PASSWORD), 'classic-encrypted');
		});

		it('encrypts the content stream: no text of the payslip in clear in the file', () => {
			const bytes = readFileSync(path);
			for (const text of [PAYSLIP_TEXT, 'Anna Muster', 'de-CH', 'Payroll']) {
				expect(bytes.includes(text)).toBe(false);
			}
		});

		it('decrypts every string to what it was: /Lang, page, stream and generation-1 Info strings', () => {
			const qdf = decryptedQdf(path, PASSWORD);
			expect(qdf).toMatch(/\/Lang \(de-CH\)/);
			expect(qdf).toMatch(/\/Employee \(Anna Muster, No\. 4711\)/);
			expect(qdf).toMatch(/\/Note \(content of Anna Muster\)/);
			expect(qdf).toMatch(new RegExp(`/Title \\(${PAYSLIP_TEXT}\\)`));
			expect(qdf).toMatch(/\/Author \(Payroll, Anna Muster\)/);
			expect(pageContents(path, PASSWORD)).toEqual(pageContents(file(classic)));
		});

		it('passes qpdf --check with the password, with no warnings', () => {
			expect(qpdfClean(`--password=${PASSWORD}`, '--check', path)).toContain('No syntax or stream encoding errors');
		});
	});

	describe('a PDF its producer already encrypted without an open password (protected against changes)', () => {
		it.each([
			['AES-256', ['256']],
			['AES-128', ['128', '--use-aes=y']],
			['RC4-128', ['128', '--use-aes=n']],
		])('re-encrypts a %s file with AES-256 and our password', async (_name, bits) => {
			const source = file(plain, 'to-protect');
			const protectedPath = join(work, `${++fileCount}-protected.pdf`);
			// Classic xref table: the layout older ERP exports use.
			qpdfClean('--allow-weak-crypto', '--object-streams=disable', '--encrypt', '', 'their-owner', ...bits, '--modify=none', '--', source, protectedPath);
			const path = file(await encryptPdf(readFileSync(protectedPath), PASSWORD));
			const report = qpdfClean('--show-encryption', `--password=${PASSWORD}`, path);
			expect(report).toMatch(/^R = 6$/m);
			expect(report).toContain('print high resolution: allowed');
			expect(report).toContain('modify anything: not allowed');
			expect(qpdf('--decrypt', path, join(work, 'x.pdf')).stderr).toContain('invalid password');
			expect(pageContents(path, PASSWORD)).toEqual(pageContents(source));
		});

		it('refuses one stored in encrypted object streams (pdf-lib cannot read those back) with a clear error', async () => {
			const protectedPath = join(work, 'protected-objstm.pdf');
			qpdfClean('--object-streams=generate', '--encrypt', '', 'their-owner', '256', '--modify=none', '--', file(plain), protectedPath);
			const failure = await encryptPdf(readFileSync(protectedPath), PASSWORD).catch((error: Error) => error);
			expect(failure).toBeInstanceOf(PdfEncryptionError);
			expect((failure as Error).message).toMatch(/already encrypted by the program that made it/);
		});
	});

	it('refuses a PDF that needs a password to open', async () => {
		const protectedPath = join(work, 'user-protected.pdf');
		qpdfClean('--encrypt', 'their-password', 'their-owner', '256', '--', file(plain), protectedPath);
		const failure = await encryptPdf(readFileSync(protectedPath), PASSWORD).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(PdfEncryptionError);
		expect((failure as Error).message).toMatch(/already protected with a password of its own/);
		expect((failure as Error).message).not.toContain(PASSWORD);
	});

	it('encrypts a file that claims PDF/A (which cannot stay PDF/A), dropping only the claim', async () => {
		const doc = await PDFDocument.load(plain);
		doc.convertToPDFA({ conformance: '2B' });
		const pdfa = Buffer.from(await doc.save());
		const pdfaPath = file(pdfa, 'pdfa');
		expect(decryptedQdf(pdfaPath, '')).toMatch(/pdfaid:part/);
		const path = file(await encryptPdf(pdfa, PASSWORD));
		expect(qpdfClean('--show-encryption', `--password=${PASSWORD}`, path)).toMatch(/^R = 6$/m);
		const qdf = decryptedQdf(path, PASSWORD);
		expect(qdf).toContain('<x:xmpmeta');
		expect(qdf).not.toMatch(/pdfaid:part/);
		expect(pageContents(path, PASSWORD)).toEqual(pageContents(file(plain)));
	});
});

describe('encryptPdf refuses what it cannot read', () => {
	it.each([
		['not a PDF at all', Buffer.from('Payslip of Anna Muster, CHF 5432.10\n')],
		['an empty file', Buffer.alloc(0)],
		['a PNG image', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
		['a PDF header and nothing else', Buffer.from('%PDF-1.7\n%%EOF\n')],
	])('%s: PdfEncryptionError', async (_name, input) => {
		const failure = await encryptPdf(input, PASSWORD).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(PdfEncryptionError);
		expect((failure as Error).message).toMatch(/not a PDF|damaged|no pages/);
		expect((failure as Error).message).not.toContain(PASSWORD);
	});

	it('a truncated PDF: PdfEncryptionError saying it is damaged', async () => {
		const whole = await payslip();
		const failure = await encryptPdf(whole.subarray(0, Math.floor(whole.length / 2)), PASSWORD).catch((error: Error) => error);
		expect(failure).toBeInstanceOf(PdfEncryptionError);
		expect((failure as Error).message).toMatch(/damaged/);
	});

	it('an empty password: PdfEncryptionError, nothing encrypted', async () => {
		await expect(encryptPdf(await payslip(), '')).rejects.toThrow(new PdfEncryptionError('the PDF password is empty'));
	});

	it('names itself PdfEncryptionError', () => {
		expect(new PdfEncryptionError('x').name).toBe('PdfEncryptionError');
	});
});
