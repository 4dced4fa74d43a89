use sourcelab::prelude::*;
