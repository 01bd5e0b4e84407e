import type { IExecuteFunctions } from 'n8n-workflow';

export interface Attachment {
	filename: string;
	contentType: string;
	content: Buffer;
}

/** A binary property that cannot be attached as it is; the message tells the clerk which and why. */
export class AttachmentError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'AttachmentError';
	}
}

const PDF_MAGIC = Buffer.from('%PDF-');
const PROPERTY_NAME = /^[\p{L}\p{N}_.-]+$/u;

/** The Attachments parameter is not a list of property names: a configuration error. */
export class PropertyListError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PropertyListError';
	}
}

/** Reads "data, payslip" into property names; throws on a list a clerk mistyped. */
export function parsePropertyList(text: string): string[] {
	if (!text.trim()) return [];
	const names = text.split(',').map((name) => name.trim());
	const bad = names.find((name) => !PROPERTY_NAME.test(name));
	if (bad !== undefined) {
		throw new PropertyListError(
			`Attachments: "${text}" is not a comma-separated list of binary property names` +
				(bad ? ` ("${bad}" is not a property name)` : ' (an entry is empty)'),
		);
	}
	return names;
}

/**
 * Reads an item's attachments through n8n's binary helpers, so the filesystem and S3 binary
 * modes work, one item at a time: a run never holds more than the items being sent.
 */
export async function loadAttachments(
	context: IExecuteFunctions,
	itemIndex: number,
	properties: string[],
): Promise<Attachment[]> {
	const attachments: Attachment[] = [];
	const binary = context.getInputData()[itemIndex]?.binary ?? {};
	for (const property of properties) {
		const meta = binary[property];
		if (!meta) {
			const present = Object.keys(binary);
			throw new AttachmentError(
				`The item has no binary property "${property}" to attach` +
					(present.length ? ` (it has: ${present.join(', ')})` : ' (it has no binary data at all)') +
					'. Check that the payslip PDF was read for this employee',
			);
		}
		const content = await context.helpers.getBinaryDataBuffer(itemIndex, property);
		const filename = meta.fileName ?? `${property}${meta.fileExtension ? `.${meta.fileExtension}` : ''}`;
		if (content.length === 0) {
			throw new AttachmentError(`The file "${filename}" in "${property}" is empty`);
		}
		const contentType = meta.mimeType || 'application/octet-stream';
		const claimsPdf = /\.pdf$/i.test(filename) || contentType.toLowerCase() === 'application/pdf';
		if (claimsPdf && !content.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) {
			throw new AttachmentError(
				`The file "${filename}" in "${property}" is not a PDF (it does not start with %PDF-). ` +
					'Check the payroll export for this employee',
			);
		}
		attachments.push({ filename, contentType, content });
	}
	return attachments;
}
