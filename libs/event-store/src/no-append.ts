/**
 * A session whose application_name ends in this mark promises never to append events (the
 * store refuses if it tries). Readers may then ignore its open transactions when deciding how
 * far the log is safe to read, so a projector's long batch cannot hold every reader back.
 */
export const NO_APPEND_MARK = '+no-append';

export const noAppendApplicationName = (name: string) => `${name}${NO_APPEND_MARK}`;
