use sourcelab_notebook::prelude::*;
let sourcelab_ready: bool = sourcelab_notebook::ready();
