/* Notification signatures made by threads of their own, which never take the GIL.
 *
 * Publish hands each message's string to sign to a thread as soon as it has the message (submit),
 * and claims the signature once it lays out the envelopes: meanwhile the event loop goes on with
 * other requests and another core signs. A thread only ever touches its own queue, guarded by a
 * mutex; a claim waits for a signature in the making with the GIL released. The threads run at the
 * lowest priority (nice 19), so they sign on a core nothing else wants; a signature no thread has
 * started when it is claimed is left to the caller (claim answers None, and the thread skips it),
 * which signs it as it did before there were threads: a busy machine costs no more than that.
 * Python's own signing (cryptography) releases the GIL too, but a thread running it must take the
 * GIL back after every signature, which waits for the busy loop; these never do.
 *
 * RSA PKCS#1 v1.5 with SHA1 (SignatureVersion 1) or SHA256 (2), base64: byte for byte what
 * cryptography's sign gives with the same key (PKCS#1 v1.5 is deterministic). See signing.py.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

typedef struct job {
    struct job *next;
    unsigned char *data;
    size_t length;
    int sha256;
    int state;       /* QUEUED, SIGNING, DONE or TAKEN (by the caller): guarded by the signer's mutex */
    int failed;
    int references;  /* the queue's (until popped) and the Python handle's */
    char signature[1024];
    int signature_length;
} job;

enum { QUEUED, SIGNING, DONE, TAKEN };

typedef struct {
    PyObject_HEAD
    EVP_PKEY *key;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;
    pthread_cond_t signed_;
    job *head, *tail;
    int stopping;
    int started;
    pid_t owner;
} Signer;

typedef struct {
    PyObject_HEAD
    Signer *signer;
    job *job;
} Pending;

static PyTypeObject PendingType;

static void release(Signer *signer, job *j) { /* called with the lock held */
    if (--j->references == 0) {
        free(j->data);
        free(j);
    }
}

static int sign_one(EVP_PKEY_CTX *ctx, const EVP_MD *md, job *j) {
    unsigned char digest[EVP_MAX_MD_SIZE], raw[512];
    unsigned int digest_length = 0;
    size_t raw_length = sizeof raw;
    if (EVP_Digest(j->data, j->length, digest, &digest_length, md, NULL) != 1) return 0;
    if (EVP_PKEY_sign(ctx, raw, &raw_length, digest, digest_length) != 1) return 0;
    if (4 * ((raw_length + 2) / 3) + 1 > sizeof j->signature) return 0;
    j->signature_length = EVP_EncodeBlock((unsigned char *)j->signature, raw, (int)raw_length);
    return 1;
}

static EVP_PKEY_CTX *context_for(EVP_PKEY *key, const EVP_MD *md) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    if (ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1
        && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1)
        return ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

static void *work(void *argument) {
    Signer *signer = argument;
#ifdef __linux__
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19); /* this thread only */
#endif
    const EVP_MD *sha1 = EVP_sha1(), *sha256 = EVP_sha256();
    EVP_PKEY_CTX *with_sha1 = context_for(signer->key, sha1), *with_sha256 = context_for(signer->key, sha256);
    pthread_mutex_lock(&signer->lock);
    for (;;) {
        while (signer->head == NULL && !signer->stopping) pthread_cond_wait(&signer->work, &signer->lock);
        if (signer->head == NULL) break;
        job *j = signer->head;
        signer->head = j->next;
        if (signer->head == NULL) signer->tail = NULL;
        if (j->state == TAKEN) { /* its caller signs it */
            release(signer, j);
            continue;
        }
        j->state = SIGNING;
        pthread_mutex_unlock(&signer->lock);
        EVP_PKEY_CTX *ctx = j->sha256 ? with_sha256 : with_sha1;
        int ok = ctx != NULL && sign_one(ctx, j->sha256 ? sha256 : sha1, j);
        pthread_mutex_lock(&signer->lock);
        j->failed = !ok;
        j->state = DONE;
        release(signer, j);
        pthread_cond_broadcast(&signer->signed_);
    }
    pthread_mutex_unlock(&signer->lock);
    EVP_PKEY_CTX_free(with_sha1);
    EVP_PKEY_CTX_free(with_sha256);
    return NULL;
}

static int Signer_init(Signer *self, PyObject *args, PyObject *kwargs) {
    const char *pem;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &pem, &size)) return -1;
    if (self->started || self->key != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a Signer is made once");
        return -1;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)size);
    self->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (self->key == NULL) {
        PyErr_SetString(PyExc_ValueError, "not a PEM private key");
        return -1;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->work, NULL);
    pthread_cond_init(&self->signed_, NULL);
    self->owner = getpid();
    if (pthread_create(&self->thread, NULL, work, self) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "could not start the signing thread");
        return -1;
    }
    self->started = 1;
    return 0;
}

static void Signer_dealloc(Signer *self) {
    if (self->started && self->owner == getpid()) {
        pthread_mutex_lock(&self->lock);
        self->stopping = 1;
        pthread_cond_signal(&self->work);
        pthread_mutex_unlock(&self->lock);
        Py_BEGIN_ALLOW_THREADS
        pthread_join(self->thread, NULL);
        Py_END_ALLOW_THREADS
    }
    if (self->key) EVP_PKEY_free(self->key);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Signer_submit(Signer *self, PyObject *args) {
    const char *text;
    Py_ssize_t length;
    int sha256;
    if (!PyArg_ParseTuple(args, "y#p", &text, &length, &sha256)) return NULL;
    if (!self->started || self->owner != getpid()) {
        PyErr_SetString(PyExc_RuntimeError, "the signing thread is not running in this process");
        return NULL;
    }
    job *j = calloc(1, sizeof(job));
    if (j) j->data = malloc(length ? (size_t)length : 1);
    if (j == NULL || j->data == NULL) {
        if (j) free(j);
        return PyErr_NoMemory();
    }
    memcpy(j->data, text, (size_t)length);
    j->length = (size_t)length;
    j->sha256 = sha256;
    j->references = 2;
    j->state = QUEUED;
    Pending *pending = PyObject_New(Pending, &PendingType);
    if (pending == NULL) {
        free(j->data);
        free(j);
        return NULL;
    }
    Py_INCREF(self);
    pending->signer = self;
    pending->job = j;
    pthread_mutex_lock(&self->lock);
    if (self->tail) self->tail->next = j; else self->head = j;
    self->tail = j;
    pthread_cond_signal(&self->work);
    pthread_mutex_unlock(&self->lock);
    return (PyObject *)pending;
}

static PyObject *Pending_claim(Pending *self, PyObject *unused) {
    Signer *signer = self->signer;
    job *j = self->job;
    pthread_mutex_lock(&signer->lock);
    int state = j->state;
    if (state == QUEUED) j->state = TAKEN; /* not started: the thread will skip it */
    pthread_mutex_unlock(&signer->lock);
    if (state == QUEUED || state == TAKEN) Py_RETURN_NONE;
    if (state == SIGNING) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&signer->lock);
        while (j->state != DONE) pthread_cond_wait(&signer->signed_, &signer->lock);
        pthread_mutex_unlock(&signer->lock);
        Py_END_ALLOW_THREADS
    }
    if (j->failed) Py_RETURN_NONE;
    return PyUnicode_FromStringAndSize(j->signature, j->signature_length);
}

static PyObject *Pending_ready(Pending *self, PyObject *unused) {
    pthread_mutex_lock(&self->signer->lock);
    int done = self->job->state == DONE;
    pthread_mutex_unlock(&self->signer->lock);
    return PyBool_FromLong(done);
}

static void Pending_dealloc(Pending *self) {
    Signer *signer = self->signer;
    if (signer->owner == getpid()) { /* a forked child has no signing thread, and maybe a held lock: leave it */
        pthread_mutex_lock(&signer->lock);
        release(signer, self->job);
        pthread_mutex_unlock(&signer->lock);
    }
    Py_DECREF(signer);
    PyObject_Free(self);
}

static PyMethodDef Pending_methods[] = {
    {"ready", (PyCFunction)Pending_ready, METH_NOARGS, "Whether the thread has made the signature."},
    {"claim", (PyCFunction)Pending_claim, METH_NOARGS,
     "The signature (base64), waiting with the GIL released if the thread is making it; None if it had "
     "not started (the thread will not: the caller signs) or failed."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PendingType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "eventyard.topics._signer.Pending",
    .tp_basicsize = sizeof(Pending),
    .tp_dealloc = (destructor)Pending_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A signature the signing thread owes.",
    .tp_methods = Pending_methods,
};

static PyMethodDef Signer_methods[] = {
    {"submit", (PyCFunction)Signer_submit, METH_VARARGS,
     "submit(text: bytes, sha256: bool) -> Pending: sign text on the signing thread."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SignerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "eventyard.topics._signer.Signer",
    .tp_basicsize = sizeof(Signer),
    .tp_dealloc = (destructor)Signer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Signer(pem: bytes): an RSA key and the thread that signs with it.",
    .tp_methods = Signer_methods,
    .tp_init = (initproc)Signer_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_signer", "Signatures made off the GIL.", -1, NULL};

PyMODINIT_FUNC PyInit__signer(void) {
    if (PyType_Ready(&SignerType) < 0 || PyType_Ready(&PendingType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&SignerType);
    if (PyModule_AddObject(m, "Signer", (PyObject *)&SignerType) < 0) {
        Py_DECREF(&SignerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
