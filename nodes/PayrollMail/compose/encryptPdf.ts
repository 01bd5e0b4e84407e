import { randomBytes } from 'node:crypto';

import {
	decodePDFRawStream,
	EncryptedPDFError,
	PDFArray,
	PDFCatalog,
	PDFDict,
	PDFDocument,
	PDFHexString,
	PDFInvalidObject,
	PDFName,
	PDFPageLeaf,
	PDFPageTree,
	PDFRawStream,
	PDFRef,
	PDFStream,
	PDFString,
} from '@cantoo/pdf-lib';
import type { PDFObject } from '@cantoo/pdf-lib';

/**
 * A PDF that cannot be protected. The message says why in words a payroll clerk can act on; it
 * never contains the password. The library's own error, if any, is the `cause`.
 */
export class PdfEncryptionError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = 'PdfEncryptionError';
	}
}

const PDF_HEADER = Buffer.from('%PDF-');
/** The PDF header may follow up to 1024 bytes of other data (ISO 32000-1, annex H.3 note). */
const HEADER_SEARCH_BYTES = 1024;

/**
 * Encrypts a PDF with AES-256 (PDF 2.0 / R6) so it opens only with `password`; printing allowed,
 * other changes not. Throws PdfEncryptionError (message a clerk understands, never containing the
 * password) for a PDF that cannot be read.
 *
 * The pages, fonts and images are kept as they are: the file is parsed and written again, not
 * re-rendered. The owner password (the one that lifts the restrictions) is random for every file
 * and never stored, so nobody - the clerk included - can remove the protection with it.
 *
 * A PDF its producer already protected against changes without an open password (common with
 * ERP exports: "secured, not modifiable") is opened with the empty password and protected anew.
 * A PDF that already needs a password to open is refused: we cannot read it.
 */
export async function encryptPdf(pdf: Buffer, password: string): Promise<Buffer> {
	if (typeof password !== 'string' || password.length === 0) {
		throw new PdfEncryptionError('the PDF password is empty');
	}
	const bytes = Buffer.isBuffer(pdf) ? pdf : Buffer.from(pdf as Uint8Array);
	const headerAt = bytes.subarray(0, HEADER_SEARCH_BYTES + PDF_HEADER.length).indexOf(PDF_HEADER);
	if (headerAt < 0) {
		throw new PdfEncryptionError('the file is not a PDF (it has no PDF header)');
	}
	const doc = await load(bytes);
	const pages = await Promise.resolve()
		.then(() => doc.getPageCount())
		.catch((error: unknown) => {
			throw new PdfEncryptionError('the PDF is damaged and could not be read (its page list is broken)', { cause: error });
		});
	if (pages === 0) {
		throw new PdfEncryptionError('the PDF has no pages');
	}

	await Promise.resolve()
		.then(() => protect(doc, password))
		.catch((error: unknown) => {
			throw error instanceof PdfEncryptionError
				? error
				: new PdfEncryptionError('the PDF could not be encrypted (its structure is not supported)', { cause: error });
		});

	// Object streams are what make this correct, not an optimisation: @cantoo/pdf-lib encrypts whole
	// streams but never a string on its own, so every string must end up either inside an
	// (encrypted) object stream or encrypted by encryptLooseStrings below.
	const output = await doc
		.save({ useObjectStreams: true, addDefaultPage: false, updateFieldAppearances: false })
		.catch((error: unknown) => {
			throw new PdfEncryptionError('the encrypted PDF could not be written', { cause: error });
		});
	return Buffer.from(output.buffer, output.byteOffset, output.byteLength);
}

async function load(bytes: Buffer): Promise<PDFDocument> {
	// password '' opens a file that is protected only against changes. throwOnInvalidObject: an
	// object the parser cannot read would otherwise be copied raw - unencrypted - into the output.
	return PDFDocument.load(bytes, { password: '', updateMetadata: false, throwOnInvalidObject: true }).catch(
		async (error: unknown) => {
			throw await loadFailure(bytes, error);
		},
	);
}

/** Tells a file with its own open password and an already-encrypted one from a damaged one. */
async function loadFailure(bytes: Buffer, error: unknown): Promise<PdfEncryptionError> {
	const lenient = { updateMetadata: false } as const;
	const encrypted = await PDFDocument.load(bytes, lenient).then(
		() => false,
		(failure: unknown) => failure instanceof EncryptedPDFError,
	);
	if (!encrypted) return new PdfEncryptionError('the PDF is damaged and could not be read', { cause: error });
	const needsPassword = await PDFDocument.load(bytes, { ...lenient, password: '' }).then(
		() => false,
		(failure: unknown) => /NEEDS PASSWORD|Password incorrect/i.test(failure instanceof Error ? failure.message : ''),
	);
	if (needsPassword) {
		return new PdfEncryptionError(
			'the PDF is already protected with a password of its own, so it cannot be read to protect it again. ' +
				'Export the payslip from the payroll program without a password, or turn off the PDF Password option',
			{ cause: error },
		);
	}
	return new PdfEncryptionError(
		'the PDF is already encrypted by the program that made it (for example protected against changes) ' +
			'in a form that cannot be opened here. Export the payslip without protection, or turn off the PDF Password option',
		{ cause: error },
	);
}

function protect(doc: PDFDocument, password: string): void {
	// A PDF/A file cannot stay PDF/A once encrypted, and pdf-lib refuses to encrypt one that says it
	// is. The claim is dropped from the XMP metadata; the pages are untouched.
	dropPdfAClaim(doc);
	doc.encrypt({
		// R6 readers apply SASLprep (which normalises with NFKC) to the typed password; pdf-lib only
		// UTF-8-encodes it, so normalise here or a decomposed "ü" would never match.
		userPassword: password.normalize('NFKC'),
		// Random and thrown away: nobody can lift the restrictions.
		ownerPassword: randomBytes(32).toString('base64url'),
		algorithm: 'AES-256',
		permissions: {
			printing: 'highResolution',
			// Screen readers may read it; PDF 2.0 readers ignore this bit anyway.
			contentAccessibility: true,
			modifying: false,
			copying: false,
			annotating: false,
			fillingForms: false,
			documentAssembly: false,
		},
	});
	encryptLooseStrings(doc);
}

/**
 * Encrypts the strings of the objects @cantoo/pdf-lib 2.11 writes outside object streams (it
 * encrypts stream data only, so a string there - the catalog's /Lang, a page's or a stream's
 * dictionary entries - would stay in clear text and be garbled by every reader that decrypts it).
 * The selection mirrors PDFStreamWriter's `shouldNotCompress`; a test opens the result with qpdf
 * to prove both halves agree.
 */
function encryptLooseStrings(doc: PDFDocument): void {
	const { context } = doc;
	const security = context.security;
	if (!security) throw new Error('encryption was not set up');
	const encryptRef = context.trailerInfo.Encrypt;
	for (const [ref, object] of context.enumerateIndirectObjects()) {
		if (ref === encryptRef) continue;
		if (object instanceof PDFRawStream && isObjectOrXrefStream(object)) continue;
		const written = writtenOutsideObjectStreams(ref, object);
		if (!written) continue;
		const encrypt = security.getEncryptFn(ref.objectNumber, ref.generationNumber);
		const seal = (value: PDFString | PDFHexString) => PDFHexString.of(Buffer.from(encrypt(value.asBytes())).toString('hex'));
		if (object instanceof PDFStream) {
			encryptStringsIn(object.dict, seal, false);
		} else if (object instanceof PDFDict) {
			encryptStringsIn(object, seal, isSignature(object));
		} else if (object instanceof PDFArray) {
			encryptStringsIn(object, seal, false);
		} else if (object instanceof PDFString || object instanceof PDFHexString) {
			context.assign(ref, seal(object));
		}
	}
}

function writtenOutsideObjectStreams(ref: PDFRef, object: PDFObject): boolean {
	return (
		object instanceof PDFStream ||
		object instanceof PDFInvalidObject ||
		object instanceof PDFCatalog ||
		object instanceof PDFPageTree ||
		object instanceof PDFPageLeaf ||
		ref.generationNumber !== 0 ||
		(object instanceof PDFDict && isSignature(object))
	);
}

function isSignature(dict: PDFDict): boolean {
	return dict.lookup(PDFName.of('Type')) === PDFName.of('Sig');
}

function isObjectOrXrefStream(stream: PDFRawStream): boolean {
	const type = stream.dict.lookup(PDFName.of('Type'));
	return type === PDFName.of('ObjStm') || type === PDFName.of('XRef');
}

type Seal = (value: PDFString | PDFHexString) => PDFHexString;

/** Replaces every direct string in a dictionary or array (recursively, not through references). */
function encryptStringsIn(container: PDFDict | PDFArray, seal: Seal, signature: boolean): void {
	if (container instanceof PDFDict) {
		for (const [key, value] of container.entries()) {
			// A signature's /Contents is never encrypted (ISO 32000-1, 7.6.1).
			if (signature && key === PDFName.of('Contents')) continue;
			const sealed = sealValue(value, seal);
			if (sealed) container.set(key, sealed);
		}
		return;
	}
	for (let index = 0; index < container.size(); index++) {
		const sealed = sealValue(container.get(index), seal);
		if (sealed) container.set(index, sealed);
	}
}

function sealValue(value: PDFObject, seal: Seal): PDFObject | undefined {
	if (value instanceof PDFString || value instanceof PDFHexString) return seal(value);
	if (value instanceof PDFDict || value instanceof PDFArray) encryptStringsIn(value, seal, false);
	return undefined;
}

/** Removes the pdfaid part/conformance declarations from the catalog's XMP, if there are any. */
function dropPdfAClaim(doc: PDFDocument): void {
	const { catalog, context } = doc;
	const metadataRef = catalog.get(PDFName.of('Metadata'));
	const metadata = catalog.lookup(PDFName.of('Metadata'));
	if (!(metadataRef instanceof PDFRef) || !(metadata instanceof PDFRawStream)) return;
	let xml: string;
	try {
		xml = Buffer.from(decodePDFRawStream(metadata).decode()).toString('utf8');
	} catch {
		return;
	}
	const stripped = xml
		.replace(/<pdfaid:(part|conformance|amd|rev)>[^<]*<\/pdfaid:\1>/g, '')
		.replace(/\s*\bpdfaid:(part|conformance|amd|rev)\s*=\s*(["'])[^"']*\2/g, '');
	if (stripped === xml) return;
	context.assign(
		metadataRef,
		context.stream(Buffer.from(stripped, 'utf8'), { Type: 'Metadata', Subtype: 'XML' }),
	);
}
