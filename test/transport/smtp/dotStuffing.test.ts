import fc from 'fast-check';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';

import { fastDotStuffing, fingerprint, nodemailerTransform, PROVEN_AGAINST } from '../../../nodes/PayrollMail/transport/smtp/dotStuffing';

const prototype = DataStream.prototype as unknown as { _transform: unknown };
const fastTransform = prototype._transform;

/** What a DataStream with the given `_transform` pushes for the chunks, chunk by chunk, and its byte counts. */
async function pushes(transform: unknown, chunks: Array<Buffer | string>) {
	const stream = new DataStream();
	Object.assign(stream, { _transform: transform });
	const counts = stream as unknown as { inByteCount: number; outByteCount: number };
	const out: string[] = [];
	stream.on('data', (data: Buffer) => out.push(data.toString('latin1')));
	const ended = new Promise((resolve) => stream.on('end', resolve));
	for (const chunk of chunks) stream.write(chunk);
	stream.end();
	await ended;
	return { out, inByteCount: counts.inByteCount, outByteCount: counts.outByteCount };
}

/** Bytes where dot-stuffing and line ends happen: CR, LF and dots, among ordinary ones. */
const byte = fc.constantFrom(0x0d, 0x0a, 0x2e, 0x2e, 0x41, 0x20, 0x00, 0xff);
const chunk = fc.oneof(
	fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
	fc.array(byte, { maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
	fc.array(fc.constantFrom('\r', '\n', '.', 'a', 'é'), { maxLength: 12 }).map((chars) => chars.join('')),
);

describe("the DATA dot-stuffing that replaces nodemailer's byte-by-byte one", () => {
	it('is in use only with the nodemailer it was proven against (this one)', () => {
		expect(fingerprint(nodemailerTransform)).toBe(PROVEN_AGAINST);
		expect(fastDotStuffing).toBe(true);
		expect(fastTransform).not.toBe(nodemailerTransform);
	});

	it("pushes exactly nodemailer's bytes, chunk by chunk, for any bytes in any chunks (property)", async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(chunk, { maxLength: 8 }), async (chunks) => {
				expect(await pushes(fastTransform, chunks)).toEqual(await pushes(nodemailerTransform, chunks));
			}),
			{ numRuns: 3_000 },
		);
	});

	it("pushes nodemailer's bytes for a whole payslip mail: base64 lines, a dot-led line, bare CR and LF", async () => {
		const base64 = Buffer.alloc(60_000, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
		const mail = `Subject: x\r\n\r\n.dot-led\r\n..two\nbare LF\rbare CR\r.\r\n${base64}\r\n.`;
		const chunks = [mail.slice(0, 5), mail.slice(5, 16_384), mail.slice(16_384)];
		const fast = await pushes(fastTransform, chunks);
		expect(fast).toEqual(await pushes(nodemailerTransform, chunks));
		expect(fast.out.join('')).toContain('\r\n..dot-led\r\n...two\r\nbare LF\r\nbare CR\r\n..\r\n');
	});
});
