import { NodeOperationError, type INode } from 'n8n-workflow';

/** Where in the life of a mail it failed; the SPEC's `error.stage`. */
export type FailureStage =
	| 'validation'
	| 'attachment'
	| 'connection'
	| 'tls'
	| 'auth'
	| 'envelope'
	| 'data';

/** The SPEC's `mail.error` object. */
export interface MailError {
	message: string;
	code: string;
	responseCode?: number;
	command?: string;
	permanent: boolean;
	stage: FailureStage;
}

/**
 * The one way a `mail.error` is made. Permanent unless said otherwise: most problems do not go
 * away by trying again.
 */
export function mailError(
	stage: FailureStage,
	code: string,
	message: string,
	details: { permanent?: boolean; responseCode?: number; command?: string } = {},
): MailError {
	const { permanent = true, responseCode, command } = details;
	return { message, code, permanent, stage, ...(responseCode === undefined ? {} : { responseCode }), ...(command === undefined ? {} : { command }) };
}

/** A problem found before anything reached the server: it will not go away by itself. */
export function refusalBeforeSending(stage: 'validation' | 'attachment', error: unknown): MailError {
	const message = error instanceof Error ? error.message : String(error);
	return mailError(stage, stage === 'validation' ? 'EVALIDATION' : 'EATTACHMENT', message);
}

/**
 * A node setting to correct, stopping the node before anything is sent. n8n replaces a message
 * that mentions a system error code (ENOENT, EEXIST, ETIMEDOUT, ...) anywhere with a generic
 * sentence of its own, which would lose the folder, the value and the remedy: the clerk gets
 * this message as it is written.
 */
export function configurationError(node: INode, message: string, itemIndex?: number): NodeOperationError {
	const error = new NodeOperationError(node, message, { itemIndex });
	error.message = message;
	return error;
}
