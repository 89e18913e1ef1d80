"""The per-batch examiner evaluation sheet of Attachment 4 (考评员考评工作评价记录表)."""
