import type { IExecuteFunctions } from 'n8n-workflow';

import { AttachmentError, prepareAttachment, type Attachment, type BinaryFile } from '../compose/attachments';
import type { MailRequest } from '../compose/mailRequest';

/**
 * Reads one of an item's binary properties through n8n's binary helpers, so that the in-memory,
 * filesystem, S3 and database binary modes all work, and only when its mail is about to go.
 */
export async function readBinaryFile(context: IExecuteFunctions, itemIndex: number, property: string): Promise<BinaryFile> {
	const meta = context.getInputData()[itemIndex]?.binary?.[property];
	if (!meta) {
		const present = Object.keys(context.getInputData()[itemIndex]?.binary ?? {});
		throw new AttachmentError(
			`The item has no binary property "${property}" to attach` +
				(present.length ? ` (it has: ${present.join(', ')})` : ' (it has no binary data at all)') +
				'. Check that the payslip PDF was read for this employee',
		);
	}
	return {
		property,
		filename: meta.fileName ?? `${property}${meta.fileExtension ? `.${meta.fileExtension}` : ''}`,
		contentType: meta.mimeType || 'application/octet-stream',
		content: await context.helpers.getBinaryDataBuffer(itemIndex, property),
	};
}

/**
 * An item's attachments and inline images, read and prepared one item at a time: a run never
 * holds more than the items being sent. With a PDF password, every PDF attachment is encrypted
 * here, before anything is sent.
 */
export async function loadAttachments(
	context: IExecuteFunctions,
	request: MailRequest,
	{ withDigests = false } = {},
): Promise<Attachment[]> {
	const { itemIndex, attachmentProperties, inlineImageProperties, pdfPassword } = request;
	const attachments: Attachment[] = [];
	for (const property of attachmentProperties) {
		attachments.push(await prepareAttachment(await readBinaryFile(context, itemIndex, property), { pdfPassword, withDigest: withDigests }));
	}
	for (const property of inlineImageProperties) {
		attachments.push(await prepareAttachment(await readBinaryFile(context, itemIndex, property), { withDigest: withDigests, inline: true }));
	}
	return attachments;
}
