"""Personal data handled as promised: erasing one person (by structure, as a resumable job) and
the record of who read, saved or erased a contact."""
